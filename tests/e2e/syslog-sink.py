#!/usr/bin/python3
"""syslog-sink.py PORTFILE FILE: a syslog server on 127.0.0.1 (UDP, a port
the kernel picks, written to PORTFILE once bound, so no other process can
race for it) that appends each datagram it receives to FILE, one a line;
stops after 60 s."""
import os
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(60)
try:
    while True:
        data, _ = s.recvfrom(65536)
        with open(sys.argv[2], "ab") as f:
            f.write(data.rstrip(b"\n") + b"\n")
except socket.timeout:
    pass
