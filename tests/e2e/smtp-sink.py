#!/usr/bin/python3
"""smtp-sink.py PORTFILE DIR [OPTIONS]: a real SMTP server (aiosmtpd) on
127.0.0.1, on a port the kernel picks, written to PORTFILE once bound. Each
message it accepts is written to DIR/NNNNNN.eml (the envelope's recipients
first, as "X-Rcpt-To: ADDR" lines), and a line to DIR/log:
"NNNNNN TIME tls=yes|no auth=USER|-", TIME the Unix time (float) the data
arrived. Every byte a client sends is appended to DIR/received (after
STARTTLS, as decrypted). Stops after 300 s, or on SIGTERM.
  --refuse ADDR      answer RCPT TO:<ADDR> with 550
  --reject-data ADDR answer the data of a message for ADDR with 554,
                     storing nothing
  --drop-rcpt ADDR   close the connection at RCPT TO:<ADDR>
  --drop-data ADDR   store the message for ADDR, then close the connection
                     without answering its data (the outcome the client
                     cannot know)
  --slow ADDR        store the message for ADDR, then wait 300 s before
                     answering
  --tls CERT:KEY     offer STARTTLS with this certificate and key, and
                     take no MAIL before it
  --auth USER:FILE   require a login (SMTP AUTH) as USER with the password
                     in the first line of FILE; each attempt is a line of
                     DIR/auth, "ok USER" or "denied USER". Without --tls,
                     AUTH is offered in clear: a server a client must not
                     give its password to.
Options may repeat, but --tls and --auth."""
import asyncio
import logging
import os
import warnings
import signal
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

portfile, outdir = sys.argv[1], sys.argv[2]
opts = {"--refuse": set(), "--reject-data": set(), "--drop-rcpt": set(), "--drop-data": set(), "--slow": set()}
tls = auth = None
args = sys.argv[3:]
while args:
    if args[0] == "--tls":
        tls = args[1].split(":", 1)
    elif args[0] == "--auth":
        auth = args[1].split(":", 1)
    else:
        opts[args[0]].add(args[1].lower())
    args = args[2:]
lock = threading.Lock()
count = [0]
# AUTH in clear is the point of --auth without --tls: no warning about it.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)


def append(name, data):
    with lock, open(os.path.join(outdir, name), "ab") as f:
        f.write(data)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        a = address.lower()
        if a in opts["--refuse"]:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if a in opts["--drop-rcpt"]:
            server.transport.close()
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if {r.lower() for r in envelope.rcpt_tos} & opts["--reject-data"]:
            return "554 5.7.1 rejected: content"
        when = time.time()
        with lock:
            count[0] += 1
            n = count[0]
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        head = "".join("X-Rcpt-To: %s\r\n" % r for r in envelope.rcpt_tos).encode()
        tmp = os.path.join(outdir, ".%06d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(head + data)
        os.rename(tmp, os.path.join(outdir, "%06d.eml" % n))
        user = session.auth_data.login.decode() if session.authenticated else "-"
        append("log", ("%06d %.6f tls=%s auth=%s\n" % (n, when, "yes" if session.ssl else "no", user)).encode())
        rcpts = {r.lower() for r in envelope.rcpt_tos}
        if rcpts & opts["--drop-data"]:
            server.transport.close()
            return "451 dropped"
        if rcpts & opts["--slow"]:
            await asyncio.sleep(300)
        return "250 2.0.0 Ok: queued as %06d" % n


def authenticator(server, session, envelope, mechanism, auth_data):
    login = auth_data.login if isinstance(auth_data, LoginPassword) else b""
    with open(auth[1], "rb") as f:
        password = f.readline().rstrip(b"\r\n")
    ok = login == auth[0].encode() and auth_data.password == password
    append("auth", b"%s %s\n" % (b"ok" if ok else b"denied", login))
    # handled=False: aiosmtpd answers a failure with 535 itself.
    return AuthResult(success=ok, handled=ok, auth_data=auth_data if ok else None)


class Sink(SMTP):
    def data_received(self, data):
        append("received", data)
        super().data_received(data)


# The listening socket is bound here, on a port the kernel picks, and
# handed to asyncio as it is: no other process can race for the port.
async def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    loop = asyncio.get_running_loop()
    conns = [0]
    kw = {}
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(tls[0], tls[1])
        kw.update(tls_context=ctx, require_starttls=True)
    if auth:
        kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(tls))

    def connection():
        conns[0] += 1
        with open(os.path.join(outdir, "connections"), "w") as f:
            f.write("%d\n" % conns[0])
        return Sink(Handler(), hostname="127.0.0.1", data_size_limit=64 * 1024 * 1024, **kw)

    srv = await loop.create_server(connection, sock=s)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), 300)
    except asyncio.TimeoutError:
        pass
    srv.close()


asyncio.run(main())
