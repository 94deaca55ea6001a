#!/usr/bin/env python3
"""Call one cardbridged JSON-RPC method over WSS from a terminal (Python standard library only).

    scripts/rpc.py system.hello
    scripts/rpc.py unlock.begin '{"reader": "Virtual PCD 00 00"}'
    scripts/rpc.py --listen 60                   # print notifications for 60 s
    scripts/rpc.py --put FLOW KIND FILE          # attachment upload (HTTPS PUT)

The connection uses the daemon's own origin (https://127.0.0.1:PORT), so it has every capability, and
verifies the daemon's certificate against its local root (--root, default: the state folder's
local-root.pem). Unlock flows are not bound to a connection: each call may use a new one.
"""
import argparse
import base64
import json
import os
import socket
import ssl
import struct
import sys
import time


def default_root():
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "cardbridge", "local-root.pem")


def connect(port, root):
    context = ssl.create_default_context(cafile=root)
    raw = socket.create_connection(("127.0.0.1", port), timeout=120)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def read_http_head(sock):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("connection closed during the HTTP head")
        head += chunk
    return head.decode("latin-1")


class Wss:
    def __init__(self, port, root):
        self.sock = connect(port, root)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://127.0.0.1:{port}\r\n\r\n"
        ).encode())
        head = read_http_head(self.sock)
        if not head.startswith("HTTP/1.1 101"):
            raise ConnectionError("upgrade refused: " + head.splitlines()[0])

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive(self):
        while True:
            b0, b1 = read_exact(self.sock, 2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack("!H", read_exact(self.sock, 2))[0]
            elif length == 127:
                length = struct.unpack("!Q", read_exact(self.sock, 8))[0]
            payload = read_exact(self.sock, length)
            opcode = b0 & 0x0F
            if opcode == 0x9:  # ping → pong
                mask = os.urandom(4)
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask +
                                  bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            elif opcode == 0x8:
                raise ConnectionError("closed by the daemon")
            elif opcode == 0x1:
                return json.loads(payload.decode())


def put(port, root, flow, kind, path):
    with open(path, "rb") as f:
        body = f.read()
    sock = connect(port, root)
    # Expect: 100-continue: the daemon refuses a file that is too large before the body is sent.
    sock.sendall((
        f"PUT /unlock/{flow}/attachments/{kind} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Origin: https://127.0.0.1:{port}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").encode())
    head = read_http_head(sock)
    if head.startswith("HTTP/1.1 100"):
        sock.sendall(body)
        head = read_http_head(sock)
    length = 0
    for line in head.splitlines():
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    print(head.splitlines()[0], file=sys.stderr)
    print(read_exact(sock, length).decode(errors="replace"))
    return 0 if " 200 " in head.splitlines()[0] else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("method", nargs="?")
    parser.add_argument("params", nargs="?", default="{}")
    parser.add_argument("--port", type=int, default=23443)
    parser.add_argument("--root", default=default_root())
    parser.add_argument("--listen", type=float, metavar="SECONDS", help="print notifications for this long")
    parser.add_argument("--put", nargs=3, metavar=("FLOW", "KIND", "FILE"))
    args = parser.parse_args()
    if args.put:
        return put(args.port, args.root, *args.put)
    wss = Wss(args.port, args.root)
    if args.listen:
        deadline = time.time() + args.listen
        wss.sock.settimeout(1)
        while time.time() < deadline:
            try:
                print(json.dumps(wss.receive(), ensure_ascii=False), flush=True)
            except (socket.timeout, TimeoutError):
                continue
        return 0
    if not args.method:
        parser.error("a method is needed")
    wss.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": args.method, "params": json.loads(args.params)}))
    while True:
        message = wss.receive()
        if message.get("id") == 1:
            print(json.dumps(message.get("result", message.get("error")), ensure_ascii=False, indent=2))
            return 0 if "result" in message else 1


if __name__ == "__main__":
    sys.exit(main())
