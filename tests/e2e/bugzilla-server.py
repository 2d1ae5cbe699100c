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
  POST /rest/bug/N/attachment  ids, data (base64), file_name, summary,
                               content_type (Create Attachment):
                               {"ids": ["ATTACHMENT"]}, the ids as strings
                               as Bugzilla documents them; the decoded data
                               is written to DIR/attachment-ATTACHMENT;
                               over DIR/attach_max KB (Bugzilla's
                               maxattachmentsize, unset: no limit) it is
                               refused, code 600 "Attachment Too Large"
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
error JSON, nothing stored), "503" (Bugzilla's error JSON with status
503, nothing stored), "502" (store, then a proxy's HTML 502: the gateway
gave up while Bugzilla acted), "hang" (store, then answer nothing for
120 s), "drop" (store, then close without answering), "ok" or absent:
normal."""
import base64
import binascii
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
next_attachment = [1]
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
        if len(p) == 5 and p[4] in ("comment", "attachment"):
            return p[4], int(p[3])
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
        if c == "503":
            self.error(503, 32000, "Bugzilla is down for maintenance", body)
            return True
        if c == "502":
            with lock:
                store()
            self.record(502, body)
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
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
        if kind not in ("new", "comment", "attachment"):
            return self.error(404, 32614, "No such resource", body)
        if not self.checks(body, True):
            return
        if kind == "attachment":
            return self.attachment(bug, body)
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

    def attachment(self, bug, body):
        """Create Attachment, as Bugzilla 5 documents it: ids (the bug in
        the path wins), data in base64, file_name, summary, content_type."""
        with lock:
            known = bug in bugs
        if not known:
            return self.error(404, 101, "Bug #%d does not exist." % bug, body)
        ids = body.get("ids")
        if (not isinstance(ids, list) or not ids
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            return self.error(400, 52, "ids must be an array of bug ids", body)
        if ids != [bug]:
            return self.error(400, 52, "ids %r is not the bug of the path (%d)" % (ids, bug),
                              body)
        data = body.get("data")
        if not isinstance(data, str) or not data:
            return self.error(400, 606, "You must attach some data.", body)
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return self.error(400, 52, "data is not base64", body)
        fn = body.get("file_name")
        if not isinstance(fn, str) or not fn.strip():
            return self.error(400, 603, "You must specify a file name.", body)
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            return self.error(400, 604, "You must enter a description for the attachment.",
                              body)
        ct = body.get("content_type")
        if not isinstance(ct, str) or "/" not in ct or " " in ct:
            return self.error(400, 601, "Invalid MIME type %r" % (ct,), body)
        for k in ("is_patch", "is_private", "is_markdown"):
            if k in body and not isinstance(body[k], bool):
                return self.error(400, 52, "%s must be a boolean" % k, body)
        # Bugzilla's maxattachmentsize (KB), as the test sets it in
        # DIR/attach_max: a file over it refused with code 600, its words.
        try:
            with open(os.path.join(outdir, "attach_max")) as f:
                max_kb = int(f.read().strip())
        except (OSError, ValueError):
            max_kb = 0
        if max_kb and len(raw) > max_kb * 1024:
            return self.error(
                400, 600,
                "The file you are trying to attach is %d kilobytes (KB) in size. Attachments"
                " cannot be more than %d KB. We recommend that you store your attachment"
                " elsewhere and provide a URL to it instead." % (len(raw) // 1024, max_kb),
                dict(body, data="(%d bytes of base64)" % len(data)))
        new = {}

        def store():
            new["id"] = next_attachment[0]
            next_attachment[0] += 1
            with open(os.path.join(outdir, "attachment-%d" % new["id"]), "wb") as f:
                f.write(raw)
            bugs[bug].setdefault("attachments", []).append(
                {"id": new["id"], "file_name": fn, "summary": summary, "content_type": ct,
                 "size": len(raw)})
            save_state()
        # The record keeps the request, not its megabytes of data.
        shown = dict(body, data="(%d bytes of base64)" % len(data))
        if self.misbehave(shown, store):
            return
        with lock:
            store()
        self.answer(201, {"ids": [str(new["id"])]}, shown)

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
