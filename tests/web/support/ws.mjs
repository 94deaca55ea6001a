// A minimal RFC 6455 WebSocket client with the browser's interface (for the SDK under Node 20, which has no
// global WebSocket) and a minimal server (a stand-in daemon for the SDK's unit tests). Text frames only;
// enough for JSON-RPC, not a general-purpose library.
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import crypto from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function encodeFrame(opcode, payload, mask) {
  const len = payload.length;
  const head = [0x80 | opcode];
  let ext = Buffer.alloc(0);
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else if (len < 65536) { head.push((mask ? 0x80 : 0) | 126); ext = Buffer.alloc(2); ext.writeUInt16BE(len); }
  else { head.push((mask ? 0x80 : 0) | 127); ext = Buffer.alloc(8); ext.writeBigUInt64BE(BigInt(len)); }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** Feeds bytes, calls onFrame(opcode, payload) per complete frame. */
function frameReader(onFrame) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const keyLen = masked ? 4 : 0;
      if (buf.length < off + keyLen + len) return;
      const key = masked ? buf.subarray(off, off + 4) : null;
      const payload = Buffer.from(buf.subarray(off + keyLen, off + keyLen + len));
      if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i % 4];
      buf = buf.subarray(off + keyLen + len);
      onFrame(opcode, payload);
    }
  };
}

/**
 * new TestWebSocket(url, {origin, ca}) — ws:// or wss:// (ca: PEM to trust; the system store is not used).
 * Browser-like: onopen, onmessage({data}), onerror, onclose({code, reason}), send(text), close(code).
 */
export class TestWebSocket {
  constructor(url, options = {}) {
    const u = new URL(url);
    this.readyState = 0;
    this.url = url;
    const port = Number(u.port) || (u.protocol === "wss:" ? 443 : 80);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    const key = crypto.randomBytes(16).toString("base64");
    const socket = u.protocol === "wss:"
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ca: options.ca })
      : net.connect({ host, port });
    this._socket = socket;
    let handshake = Buffer.alloc(0);
    let upgraded = false;
    const read = frameReader((opcode, payload) => {
      if (opcode === 1) this.onmessage && this.onmessage({ data: payload.toString("utf8") });
      else if (opcode === 9) socket.write(encodeFrame(10, payload, true));
      else if (opcode === 8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (this.readyState === 1) socket.write(encodeFrame(8, payload.subarray(0, 2), true));
        this._finish(code, payload.subarray(2).toString("utf8"));
      }
    });
    socket.on(u.protocol === "wss:" ? "secureConnect" : "connect", () => {
      const headers = [
        `GET ${u.pathname || "/"} HTTP/1.1`, `Host: ${u.host}`, "Upgrade: websocket", "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`, "Sec-WebSocket-Version: 13",
      ];
      if (options.origin) headers.push(`Origin: ${options.origin}`);
      socket.write(headers.join("\r\n") + "\r\n\r\n");
    });
    socket.on("data", (chunk) => {
      if (upgraded) { read(chunk); return; }
      handshake = Buffer.concat([handshake, chunk]);
      const end = handshake.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = handshake.subarray(0, end).toString("latin1");
      const expected = crypto.createHash("sha1").update(key + GUID).digest("base64");
      if (!/^HTTP\/1\.1 101/.test(head) || !head.includes(expected)) {
        this._fail();
        return;
      }
      upgraded = true;
      this.readyState = 1;
      this.onopen && this.onopen({});
      const rest = handshake.subarray(end + 4);
      if (rest.length) read(rest);
    });
    socket.on("error", () => this._fail());
    socket.on("close", () => this._finish(1006, ""));
  }

  _fail() {
    if (this.readyState === 3) return;
    this.onerror && this.onerror({});
    this._finish(1006, "");
  }

  _finish(code, reason) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this._socket.destroy();
    this.onclose && this.onclose({ code, reason });
  }

  send(text) {
    if (this.readyState !== 1) throw new Error("not open");
    this._socket.write(encodeFrame(1, Buffer.from(String(text), "utf8"), true));
  }

  close(code = 1000) {
    if (this.readyState === 1) {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      this._socket.write(encodeFrame(8, p, true));
      this.readyState = 2;
      setTimeout(() => this._finish(code, ""), 50);
    } else if (this.readyState === 0) {
      this._finish(1006, "");
    }
  }
}

/** A WebSocket class bound to an origin and a CA, for `new CardBridge.Client({WebSocket})`. */
export function webSocketWith(options) {
  return class extends TestWebSocket {
    constructor(url) { super(url, options); }
  };
}

/**
 * A stand-in daemon on ws://127.0.0.1:port (port 0: any free one). handle(msg, conn) answers a request:
 * return a result, throw {code, message, data} for an error, or return undefined and answer later with
 * conn.reply(). conn.notify(method, params) pushes a notification; conn.drop() closes abruptly.
 * http(req, res): optional handler of plain HTTP requests (static files of a mock daemon).
 */
export async function startServer({ port = 0, hello = {}, handle = () => null, http: onHttp = null } = {}) {
  const conns = new Set();
  const received = [];
  const server = http.createServer((req, res) => {
    if (onHttp) onHttp(req, res);
    else { res.writeHead(404); res.end(); }
  });
  server.on("upgrade", (req, socket) => {
    const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + GUID).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const conn = {
      socket,
      send(obj) { if (!socket.destroyed) socket.write(encodeFrame(1, Buffer.from(JSON.stringify(obj)), false)); },
      reply(id, result) { this.send({ jsonrpc: "2.0", id, result }); },
      fail(id, error) { this.send({ jsonrpc: "2.0", id, error }); },
      notify(method, params) { this.send({ jsonrpc: "2.0", method, params }); },
      drop() { socket.destroy(); },
    };
    conns.add(conn);
    socket.on("close", () => conns.delete(conn));
    socket.on("error", () => {});
    socket.on("data", frameReader(async (opcode, payload) => {
      if (opcode === 8) { socket.end(encodeFrame(8, payload.subarray(0, 2), false)); return; }
      if (opcode !== 1) return;
      const msg = JSON.parse(payload.toString("utf8"));
      received.push(msg);
      if (msg.method === "system.hello") {
        conn.reply(msg.id, { product: "cardbridge", version: "0.1.0", protocol: 1, port: server.address().port,
          origin: "test", capabilities: ["read", "startUnlock", "secrets"], methods: [], ...hello });
        return;
      }
      try {
        const result = await handle(msg, conn);
        if (result !== undefined) conn.reply(msg.id, result);
      } catch (error) {
        conn.fail(msg.id, error);
      }
    }));
  });
  await new Promise((resolve, reject) => { server.once("error", reject); server.listen(port, "127.0.0.1", resolve); });
  return {
    port: server.address().port,
    conns,
    received,
    /** Sends a notification to every connection. */
    broadcast(method, params) { for (const c of conns) c.notify(method, params); },
    /** Closes the server and drops every connection. */
    async stop() {
      for (const c of conns) c.drop();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP port with nothing listening on it (bound, then released). */
export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}
