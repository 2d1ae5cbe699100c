#!/usr/bin/python3
"""bugzilla-server.py PORTFILE DIR KEYFILE: a small Bugzilla REST server
(domain.md 7; Bugzilla 5's /rest/bug API) on 127.0.0.1, on a port the
kernel picks, written to PORTFILE once bound. Stops after 300 s, or on
SIGTERM.

It implements, as Bugzilla documents them:
  POST /rest/bug               product, component, summary, version (and
                               description): {"id": BUG}
  POST /rest/bug/N/comment     comment (at most 65,535 characters),
                               is_markdown: {"id": COMMENT}
  PUT  /rest/bug/N             whiteboard: {"bugs": [{"id", "changes"}]}
  GET  /rest/bug/N             {"bugs": [{"id", "summary", "whiteboard", ...}]}
and checks each request: the method and path, the X-BUGZILLA-API-KEY
header against the first line of KEYFILE (the key is never written
anywhere by this server), Content-Type application/json on a body, and
the JSON fields and their types. Errors are Bugzilla's:
{"error": true, "message": ..., "code": N} with its HTTP status.

Each request is appended to DIR/requests.jsonl (method, path, key_ok,
content_type, the JSON body, the status answered); the bugs are in
DIR/state.json after each change. DIR/control, read at each request,
makes it fail: "500" (an internal error, nothing stored), "400" (an
error JSON, nothing stored), "hang" (store, then answer nothing for
120 s), "drop" (store, then close without answering), "ok" or absent:
normal."""
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, outdir, keyfile = sys.argv[1], sys.argv[2], sys.argv[3]
with open(keyfile) as f:
    KEY = f.readline().strip()
lock = threading.Lock()
bugs = {}
next_bug = [1000]
next_comment = [5000]
MAX_COMMENT = 65535


def control():
    try:
        with open(os.path.join(outdir, "control")) as f:
            return f.read().strip()
    except OSError:
        return "ok"


def save_state():
    tmp = os.path.join(outdir, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump({str(k): v for k, v in bugs.items()}, f, indent=1)
    os.replace(tmp, os.path.join(outdir, "state.json"))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def record(self, status, body):
        entry = {
            "method": self.command,
            "path": self.path,
            "key_ok": self.headers.get("X-BUGZILLA-API-KEY") == KEY,
            "content_type": self.headers.get("Content-Type"),
            "json": body,
            "status": status,
        }
        with lock:
            with open(os.path.join(outdir, "requests.jsonl"), "a") as f:
                f.write(json.dumps(entry) + "\n")

    def answer(self, status, obj, body=None):
        self.record(status, body)
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message, body=None):
        self.answer(status, {"error": True, "message": message, "code": code}, body)

    def read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            return "not json"

    def route(self):
        """(kind, bug): 'new', 'comment', 'bug' or None."""
        p = self.path.split("?")[0].rstrip("/").split("/")
        # ['', 'rest', 'bug', N?, 'comment'?]
        if len(p) < 3 or p[1] != "rest" or p[2] != "bug":
            return None, None
        if len(p) == 3:
            return "new", None
        if not p[3].isdigit():
            return None, None
        if len(p) == 4:
            return "bug", int(p[3])
        if len(p) == 5 and p[4] == "comment":
            return "comment", int(p[3])
        return None, None

    def misbehave(self, body, store):
        """Applies the control file; True when the request was handled."""
        c = control()
        if c == "500":
            self.answer(500, {"error": True, "message": "Internal Server Error", "code": 32000},
                        body)
            return True
        if c == "400":
            self.error(400, 32000, "A database error occurred: try again later", body)
            return True
        if c in ("hang", "drop"):
            with lock:
                store()
            self.record(0, body)
            if c == "hang":
                time.sleep(120)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        return False

    def checks(self, body, with_body):
        if self.headers.get("X-BUGZILLA-API-KEY") != KEY:
            self.error(401, 306, "The API key you specified is invalid.", body)
            return False
        if with_body:
            ct = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if ct != "application/json":
                self.error(415, 32614, "Content-Type must be application/json", body)
                return False
            if not isinstance(body, dict):
                self.error(400, 32000, "The request body is not a JSON object", body)
                return False
        return True

    def do_GET(self):
        kind, bug = self.route()
        if kind != "bug":
            return self.error(404, 32614, "No such resource", None)
        if not self.checks(None, False):
            return
        with lock:
            b = bugs.get(bug)
        if b is None:
            return self.error(404, 101, "Bug #%d does not exist." % bug)
        self.answer(200, {"bugs": [{"id": bug, "summary": b["summary"],
                                    "whiteboard": b["whiteboard"], "product": b["product"],
                                    "component": b["component"]}], "faults": []})

    def do_POST(self):
        kind, bug = self.route()
        body = self.read_json()
        if kind not in ("new", "comment"):
            return self.error(404, 32614, "No such resource", body)
        if not self.checks(body, True):
            return
        if kind == "new":
            for k in ("product", "component", "summary", "version"):
                if not isinstance(body.get(k), str) or not body.get(k):
                    return self.error(400, 50, "You must select/enter a %s." % k, body)
            for k in ("description", "op_sys", "platform", "type"):
                if k in body and not isinstance(body[k], str):
                    return self.error(400, 52, "Invalid %s" % k, body)
            if len(body.get("description", "")) > MAX_COMMENT:
                return self.error(400, 114, "Comments cannot be longer than 65535 characters.",
                                  body)
            new = {}

            def store():
                new["id"] = next_bug[0]
                next_bug[0] += 1
                bugs[new["id"]] = {"summary": body["summary"], "product": body["product"],
                                   "component": body["component"], "version": body["version"],
                                   "whiteboard": "", "description": body.get("description", ""),
                                   "is_markdown": body.get("is_markdown"), "comments": []}
                save_state()
            if self.misbehave(body, store):
                return
            with lock:
                store()
            return self.answer(200, {"id": new["id"]}, body)
        # a comment
        with lock:
            known = bug in bugs
        if not known:
            return self.error(404, 101, "Bug #%d does not exist." % bug, body)
        text = body.get("comment")
        if not isinstance(text, str) or not text.strip():
            return self.error(400, 54, "You must enter a comment.", body)
        if len(text) > MAX_COMMENT:
            return self.error(400, 114, "Comments cannot be longer than 65535 characters.", body)
        if "is_markdown" in body and not isinstance(body["is_markdown"], bool):
            return self.error(400, 52, "is_markdown must be a boolean", body)
        new = {}

        def store():
            new["id"] = next_comment[0]
            next_comment[0] += 1
            bugs[bug]["comments"].append({"id": new["id"], "text": text,
                                          "is_markdown": body.get("is_markdown", False)})
            save_state()
        if self.misbehave(body, store):
            return
        with lock:
            store()
        self.answer(201, {"id": new["id"]}, body)

    def do_PUT(self):
        kind, bug = self.route()
        body = self.read_json()
        if kind != "bug":
            return self.error(404, 32614, "No such resource", body)
        if not self.checks(body, True):
            return
        with lock:
            b = bugs.get(bug)
        if b is None:
            return self.error(404, 101, "Bug #%d does not exist." % bug, body)
        wb = body.get("whiteboard")
        if not isinstance(wb, str):
            return self.error(400, 52, "whiteboard must be a string", body)
        changes = {}

        def store():
            changes["whiteboard"] = {"removed": b["whiteboard"], "added": wb}
            b["whiteboard"] = wb
            save_state()
        if self.misbehave(body, store):
            return
        with lock:
            store()
        self.answer(200, {"bugs": [{"id": bug, "alias": [], "changes": changes,
                                    "last_change_time": "2026-11-25T12:00:00Z"}]}, body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.replace(portfile + ".tmp", portfile)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
threading.Timer(300, lambda: os._exit(0)).start()
server.serve_forever()
