#!/usr/bin/python3
"""rechain.py DB [SQL]: what an attacker with write access to the file does.

Runs SQL (optional) against DB, then recomputes every event's hash the way
core/audit.c chains them, so the plain chain holds again; MACs, which need
the installed warroom's key, are left as they were. Written from the
format documented in core/audit.c, not from its code.
"""
import hashlib
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
if len(sys.argv) > 2:
    db.executescript(sys.argv[2])
prev = bytes(32)
rows = db.execute("SELECT id, at, actor, action, details FROM event ORDER BY id").fetchall()
for id_, at, actor, action, details in rows:
    h = hashlib.sha256()
    h.update(prev)
    h.update(b"wr-event-1\0")
    h.update(str(id_).encode() + b"\0")
    h.update(str(at).encode() + b"\0")
    h.update(actor.encode() + b"\0")
    h.update(action.encode() + b"\0")
    h.update(details.encode())
    prev = h.digest()
    db.execute("UPDATE event SET hash = ? WHERE id = ?", (prev, id_))
db.commit()
print(prev.hex())
