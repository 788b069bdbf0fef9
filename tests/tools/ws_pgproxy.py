#!/usr/bin/env python3
"""ws_pgproxy - a TCP proxy in front of a PostgreSQL unix socket that can
lose the answer to a COMMIT, for the test of an unknown commit outcome
(t1180-commit-lost).

    ws_pgproxy.py --socket /dir/.s.PGSQL.5432 --port-file F --arm FILE --log L

Every connection is relayed byte for byte. The proxy reads the protocol
on the way: a connection whose client sends a statement with "INTO
samples" is the coordinator's sample writer. While the file --arm
exists, the first time such a connection gets CommandComplete for an
INSERT and then ReadyForQuery (the server sends it after the implicit
transaction committed), the proxy withholds both, closes the connection
both ways, removes the arm file and logs "dropped INSERT 0 N": the rows
are in the database, the client only knows the connection broke.
Clients must connect with sslmode=disable and gssencmode=disable.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time


def log(path, text):
    with open(path, "a") as f:
        f.write("%s %s\n" % (time.strftime("%H:%M:%S"), text))


class Link:
    def __init__(self, client, args):
        self.client = client
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.connect(args.socket)
        self.args = args
        self.writer = False
        self.closed = False

    def close(self):
        self.closed = True
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def client_to_server(self):
        buf = b""
        startup = True
        try:
            while True:
                data = self.client.recv(65536)
                if not data:
                    break
                self.server.sendall(data)
                buf += data
                while True:
                    if startup:
                        if len(buf) < 4:
                            break
                        n = struct.unpack("!I", buf[:4])[0]
                        if len(buf) < n:
                            break
                        buf, startup = buf[n:], False
                        continue
                    if len(buf) < 5:
                        break
                    kind, n = buf[:1], struct.unpack("!I", buf[1:5])[0]
                    if len(buf) < 1 + n:
                        break
                    body, buf = buf[5:1 + n], buf[1 + n:]
                    if kind in (b"P", b"Q") and b"INTO samples" in body:
                        self.writer = True
        except OSError:
            pass
        if not self.closed:
            self.close()

    def server_to_client(self):
        buf = b""
        held = b""  # CommandComplete of an INSERT, until what follows it
        try:
            while True:
                data = self.server.recv(65536)
                if not data:
                    break
                buf += data
                out = b""
                while len(buf) >= 5:
                    kind, n = buf[:1], struct.unpack("!I", buf[1:5])[0]
                    if len(buf) < 1 + n:
                        break
                    msg, buf = buf[:1 + n], buf[1 + n:]
                    if (kind == b"Z" and held and self.writer
                            and os.path.exists(self.args.arm)):
                        os.unlink(self.args.arm)
                        log(self.args.log, "dropped %s"
                            % held[5:].rstrip(b"\0").decode())
                        self.close()
                        return
                    out += held
                    held = b""
                    if kind == b"C" and msg[5:].startswith(b"INSERT"):
                        held = msg
                    else:
                        out += msg
                if out:
                    self.client.sendall(out)
        except OSError:
            pass
        if not self.closed:
            self.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--arm", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        client, _ = listener.accept()
        try:
            link = Link(client, args)
        except OSError as e:
            log(args.log, "cannot reach the server: %s" % e)
            client.close()
            continue
        # Server bytes go on by whole messages, and an INSERT's
        # CommandComplete waits for the message after it, so that it and
        # ReadyForQuery can be withheld together.
        threading.Thread(target=link.client_to_server, daemon=True).start()
        threading.Thread(target=link.server_to_client, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
