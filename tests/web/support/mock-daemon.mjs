#!/usr/bin/env node
// A stand-in cardbridged over plain http/ws for fast UI work and for UI tests that need states the real
// daemon reaches slowly (hotplug at will, an approved review, one PIN try left). It serves webui/ and
// answers the methods of docs/api.md with scripted data. Not a substitute for the real daemon's tests.
//
//   node tests/web/support/mock-daemon.mjs [--port 8099] [--locked] [--tries N] [--expired]
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { startServer } from "./ws.mjs";

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../webui");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json" };

const rpcError = (reason, data = {}, code = -32000) => ({ code, message: reason, data: { reason, ...data } });

/** Starts the mock. options: {port, pinState: {state, retriesLeft}, expired, version}. Returns {port, server, state, approve, …}. */
export async function startMockDaemon({ port = 0, pinState = { state: "blocked", retriesLeft: 0 }, expired = false, version = "0.1.0" } = {}) {
  const now = Date.now();
  const cert = {
    slot: "9a",
    subject: { text: "CN=张三,O=深圳市示例医疗器械有限公司,L=深圳市,ST=广东省,C=CN", cn: "张三", o: "深圳市示例医疗器械有限公司", c: "CN", attributes: [] },
    issuer: { text: "CN=cardbridge 演示签发 CA,O=cardbridge 演示 CA,C=CN", cn: "cardbridge 演示签发 CA", o: "cardbridge 演示 CA", c: "CN", attributes: [] },
    serialNumber: "4F1A2B3C4D5E6F70",
    notBefore: new Date(now - 30 * 864e5).toISOString().replace(/\.\d+Z/, "Z"),
    notAfter: new Date(now + (expired ? -1 : 335) * 864e5).toISOString().replace(/\.\d+Z/, "Z"),
    status: expired ? "expired" : "valid",
    publicKey: { algorithm: "SM2", curve: "SM2", bits: 256 },
    signatureAlgorithm: "SM2-with-SM3",
    keyUsage: ["digitalSignature", "nonRepudiation"],
    extendedKeyUsage: ["clientAuth"],
    isCa: false,
    sha256: crypto.createHash("sha256").update("demo").digest("hex").toUpperCase(),
    pem: "-----BEGIN CERTIFICATE-----\nTU9DSw==\n-----END CERTIFICATE-----\n",
  };
  const reader = "Virtual PCD 00 00";
  const state = {
    pin: { ...pinState },
    currentPin: "123456",
    cardPresent: true,
    flows: new Map(),
    lastCode: null,
  };
  const card = () => ({ reader, cardId: "8C1A3F0E5B7D4C2A9E6F1B3D5A7C9E0F", atr: "3B", serial: 20261127, version: "5.4.3",
    pin: { ...state.pin }, certificates: [cert] });
  let server;

  function flowObject(f) {
    const o = { flowId: f.flowId, step: f.step, reader, cardId: card().cardId, cardSerial: "20261127",
      certificate: { slot: "9a", subject: cert.subject.text, serialNumber: cert.serialNumber, notBefore: cert.notBefore, notAfter: cert.notAfter, sha256: cert.sha256 },
      pin: { ...state.pin }, wizardUrl: `http://127.0.0.1:${server.port}/unlock.html?flow=${f.flowId}` };
    if (f.route) Object.assign(o, { route: f.route, requestId: f.requestId, maskedPhone: "138****8000" });
    if (f.dueDate) Object.assign(o, { submittedAt: f.submittedAt, dueDate: f.dueDate, dueIsEstimate: false });
    if (f.step === "approved" && f.route === "review") o.authorisedUntil = new Date(Date.now() + 30 * 864e5).toISOString();
    if (f.rejectReason) o.rejectReason = f.rejectReason;
    o.attachments = Object.values(f.attachments);
    return o;
  }
  const flowOf = (id) => {
    const f = state.flows.get(id);
    if (!f) throw rpcError("FLOW_NOT_FOUND");
    return f;
  };
  const policy = (pin) => {
    if (pin.length < 6) return "TooShort";
    if (pin.length > 8) return "TooLong";
    if (!/^\d+$/.test(pin)) return "NotDigits";
    if (/^(\d)\1+$/.test(pin)) return "AllSame";
    if ("0123456789".includes(pin) || "9876543210".includes(pin)) return "Sequential";
    return null;
  };
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));

  async function handle(msg) {
    const p = msg.params || {};
    switch (msg.method) {
      case "readers.list": return [{ name: reader, cardPresent: state.cardPresent }];
      case "cards.list": return state.cardPresent ? [card()] : [];
      case "certificates.export":
        return p.format === "der" ? { format: "der", data: "TU9DSw==" } : { format: "pem", data: cert.pem };
      case "pin.change": {
        await wait(300);
        const v = policy(p.newPin || "");
        if (v) throw rpcError("PIN_POLICY", { violation: v });
        if (state.pin.state === "blocked") throw rpcError("PIN_BLOCKED", { retriesLeft: 0 });
        if (state.pin.retriesLeft === 1 && p.confirmLastTry !== true) throw rpcError("INVALID_PARAMS", { param: "confirmLastTry" }, -32602);
        if (p.oldPin !== state.currentPin) {
          state.pin.retriesLeft -= 1;
          if (state.pin.retriesLeft === 0) { state.pin.state = "blocked"; throw rpcError("PIN_BLOCKED", { retriesLeft: 0 }); }
          throw rpcError("PIN_INCORRECT", { retriesLeft: state.pin.retriesLeft });
        }
        state.currentPin = p.newPin;
        state.pin = { state: "ok", retriesLeft: 3 };
        return { ok: true, retriesLeft: 3 };
      }
      case "unlock.begin": {
        await wait(200);
        if (!state.cardPresent) throw rpcError("CARD_ABSENT");
        if (cert.status === "expired") throw rpcError("CERT_EXPIRED", { notAfter: cert.notAfter, offline: true });
        const flowId = crypto.randomBytes(16).toString("hex");
        state.flows.set(flowId, { flowId, step: "identify", attachments: {} });
        return flowObject(state.flows.get(flowId));
      }
      case "unlock.status": return flowObject(flowOf(p.flowId));
      case "unlock.identify": {
        await wait(400);
        const f = flowOf(p.flowId);
        if (f.step !== "identify") throw rpcError("WRONG_STATE", { step: f.step });
        const h = p.handler || {};
        if (h.idNumber === "440305199001011231") throw rpcError("FORM_INVALID", { fields: [{ field: "handler.idNumber", problem: "checksum" }] });
        f.requestId = crypto.randomBytes(8).toString("hex");
        const original = h.name === "张三" && h.idNumber === "44030519900101123X" && h.phone === "13800138000";
        f.route = original ? "sms" : "review";
        f.step = original ? "sms" : "attachments";
        return flowObject(f);
      }
      case "unlock.sendCode": {
        const f = flowOf(p.flowId);
        if (f.lastSent && Date.now() - f.lastSent < 60000) throw rpcError("CODE_COOLDOWN", { retryAfter: Math.ceil((60000 - (Date.now() - f.lastSent)) / 1000) });
        f.lastSent = Date.now();
        state.lastCode = "246810";
        return { maskedPhone: "138****8000", expiresAt: new Date(Date.now() + 300000).toISOString(), resendAfterSeconds: 60 };
      }
      case "unlock.resetWithCode": {
        await wait(500);
        const f = flowOf(p.flowId);
        const v = policy(p.newPin || "");
        if (v) throw rpcError("PIN_POLICY", { violation: v });
        if (!state.lastCode) throw rpcError("CODE_NOT_SENT");
        if (p.code !== state.lastCode) throw rpcError("CODE_INCORRECT", { triesLeft: 4 });
        f.step = "done";
        state.pin = { state: "ok", retriesLeft: 3 };
        state.currentPin = p.newPin;
        return flowObject(f);
      }
      case "unlock.submit": {
        await wait(300);
        const f = flowOf(p.flowId);
        const missing = ["application_form", "business_license", "handler_id"].filter((k) => !f.attachments[k]);
        if (missing.length) throw rpcError("ATTACHMENTS_MISSING", { missing });
        f.step = "in_review";
        f.submittedAt = new Date().toISOString();
        f.dueDate = new Date(Date.now() + 5 * 864e5).toISOString();
        return flowObject(f);
      }
      case "unlock.withdraw": { const f = flowOf(p.flowId); f.step = "withdrawn"; return flowObject(f); }
      case "unlock.applicationForm": {
        const f = flowOf(p.flowId);
        return { requestId: f.requestId, createdDate: new Date().toISOString().slice(0, 10), certificateSubject: cert.subject.text,
          certificateCommonName: "张三", certificateSerial: cert.serialNumber, certificateIssuer: cert.issuer.text,
          notBefore: cert.notBefore, notAfter: cert.notAfter, organization: "深圳市示例医疗器械有限公司", uscc: "",
          handlerName: "李四", handlerIdType: "居民身份证", maskedIdNumber: "1101**********002X", maskedPhone: "139****0000", cardSerial: "20261127" };
      }
      case "unlock.resetApproved": {
        await wait(500);
        const f = flowOf(p.flowId);
        const v = policy(p.newPin || "");
        if (v) throw rpcError("PIN_POLICY", { violation: v });
        if (f.step !== "approved") throw rpcError("WRONG_STATE", { step: f.step });
        f.step = "done";
        state.pin = { state: "ok", retriesLeft: 3 };
        return flowObject(f);
      }
      default: throw rpcError("METHOD_NOT_FOUND", {}, -32601);
    }
  }

  function http(req, res) {
    const url = new URL(req.url, "http://x");
    const put = url.pathname.match(/^\/unlock\/([0-9a-f]{32})\/attachments\/(application_form|business_license|handler_id)$/);
    if (put && req.method === "PUT") {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const f = state.flows.get(put[1]);
        const send = (status, obj) => { res.writeHead(status, { "Content-Type": "application/json" }); res.end(JSON.stringify(obj)); };
        if (!f) return send(404, { error: { reason: "FLOW_NOT_FOUND", message: "" } });
        if (body.length > 1048576) return send(413, { error: { reason: "ATTACHMENT_TOO_LARGE", message: "", limit: 1048576 } });
        const a = { kind: put[2], contentType: "application/octet-stream", size: body.length,
          sha256: crypto.createHash("sha256").update(body).digest("hex").toUpperCase(), uploadedAt: new Date().toISOString() };
        f.attachments[put[2]] = a;
        setTimeout(() => send(200, a), 300);
      });
      return;
    }
    let file = url.pathname.endsWith("/") ? url.pathname + "index.html" : url.pathname;
    const full = path.resolve(webRoot, "." + path.posix.normalize(file));
    try {
      if (!full.startsWith(webRoot) || !statSync(full).isFile()) throw new Error();
      res.writeHead(200, { "Content-Type": TYPES[path.extname(full)] || "application/octet-stream", "Cache-Control": "no-store" });
      res.end(readFileSync(full));
    } catch {
      res.writeHead(404); res.end("not found\n");
    }
  }

  server = await startServer({ port, handle, http, hello: { version } });
  const notify = (method, params) => server.broadcast(method, params);
  return {
    port: server.port,
    server,
    state,
    stop: () => server.stop(),
    /** The reviewer approves every flow in review (pushes unlock.statusChanged). */
    approveAll() {
      for (const f of state.flows.values()) if (f.step === "in_review") {
        f.step = "approved";
        notify("unlock.statusChanged", { flowId: f.flowId, cardId: card().cardId, requestId: f.requestId, step: "approved" });
      }
    },
    removeCard() { state.cardPresent = false; notify("card.removed", { reader }); },
    insertCard() { state.cardPresent = true; notify("card.inserted", { reader, card: card() }); },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
  const tries = Number(opt("tries", 3));
  const mock = await startMockDaemon({
    port: Number(opt("port", 8099)),
    pinState: args.includes("--locked") ? { state: "blocked", retriesLeft: 0 } : { state: "ok", retriesLeft: tries },
    expired: args.includes("--expired"),
  });
  console.log(`mock daemon on http://127.0.0.1:${mock.port}/ (SMS code 246810; approve: send SIGUSR2; hotplug: SIGUSR1)`);
  process.on("SIGUSR2", () => mock.approveAll());
  process.on("SIGUSR1", () => (mock.state.cardPresent ? mock.removeCard() : mock.insertCard()));
}
