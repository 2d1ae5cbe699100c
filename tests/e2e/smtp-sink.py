#!/usr/bin/python3
"""smtp-sink.py PORTFILE DIR [OPTIONS]: a real SMTP server (aiosmtpd) on
127.0.0.1, on a port the kernel picks, written to PORTFILE once bound. Each
message it accepts is written to DIR/NNNNNN.eml (the envelope's recipients
first, as "X-Rcpt-To: ADDR" lines). Stops after 300 s, or on SIGTERM.
  --refuse ADDR      answer RCPT TO:<ADDR> with 550
  --reject-data ADDR answer the data of a message for ADDR with 554,
                     storing nothing
  --drop-rcpt ADDR   close the connection at RCPT TO:<ADDR>
  --drop-data ADDR   store the message for ADDR, then close the connection
                     without answering its data (the outcome the client
                     cannot know)
  --slow ADDR        store the message for ADDR, then wait 300 s before
                     answering
Options may repeat."""
import asyncio
import os
import signal
import socket
import sys
import threading

from aiosmtpd.smtp import SMTP

portfile, outdir = sys.argv[1], sys.argv[2]
opts = {"--refuse": set(), "--reject-data": set(), "--drop-rcpt": set(), "--drop-data": set(), "--slow": set()}
args = sys.argv[3:]
while args:
    opts[args[0]].add(args[1].lower())
    args = args[2:]
lock = threading.Lock()
count = [0]


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
        rcpts = {r.lower() for r in envelope.rcpt_tos}
        if rcpts & opts["--drop-data"]:
            server.transport.close()
            return "451 dropped"
        if rcpts & opts["--slow"]:
            await asyncio.sleep(300)
        return "250 2.0.0 Ok: queued as %06d" % n


# The listening socket is bound here, on a port the kernel picks, and
# handed to asyncio as it is: no other process can race for the port.
async def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    loop = asyncio.get_running_loop()
    conns = [0]

    def connection():
        conns[0] += 1
        with open(os.path.join(outdir, "connections"), "w") as f:
            f.write("%d\n" % conns[0])
        return SMTP(Handler(), hostname="127.0.0.1", data_size_limit=64 * 1024 * 1024)

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
