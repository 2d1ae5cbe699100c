#!/usr/bin/python3
"""syslog-sink.py PORT FILE: a syslog server on 127.0.0.1:PORT (UDP) that
appends each datagram it receives to FILE, one a line; stops after 60 s."""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
try:
    while True:
        data, _ = s.recvfrom(65536)
        with open(sys.argv[2], "ab") as f:
            f.write(data.rstrip(b"\n") + b"\n")
except socket.timeout:
    pass
