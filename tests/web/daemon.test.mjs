// The JS SDK under Node against the real cardbridged (scripts/demo.sh, or any daemon at CARDBRIDGE_URL):
// port fallback onto the daemon, hello and capabilities per origin, typed errors with the daemon's
// reasons, a refused origin, a reconnect after a second real daemon restarts. (Timeouts and request
// handling across a drop: sdk.test.mjs, where the stand-in can stay silent.) The WebSocket is tests/web/support/ws.mjs (Node 20 has none), sending an
// Origin and trusting only the daemon's local root. Skips when no daemon answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { Client } from "../../webui/sdk/cardbridge.mjs";
import { webSocketWith, freePort } from "./support/ws.mjs";
import { prerequisites } from "./support/prerequisites.mjs";

const BASE = new URL(process.env.CARDBRIDGE_URL || "https://127.0.0.1:23443/");
const PORT = Number(BASE.port) || 443;
const stateDir = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
const ROOT_PEM = process.env.CARDBRIDGE_LOCAL_ROOT || path.join(stateDir, "cardbridge", "local-root.pem");

const up = await new Promise((resolve) => {
  const s = net.connect({ host: BASE.hostname, port: PORT }, () => { s.destroy(); resolve(true); });
  s.on("error", () => resolve(false));
});
const skip = prerequisites(up && existsSync(ROOT_PEM) ? false : `no daemon at ${BASE} (or no local root at ${ROOT_PEM})`);
const ca = skip ? null : readFileSync(ROOT_PEM);
const own = `https://127.0.0.1:${PORT}`;
const client = (origin, extra = {}) => new Client({ WebSocket: webSocketWith({ origin, ca }), ports: [PORT], reconnect: false, ...extra });

test("falls back over ports that do not answer to the daemon's", { skip }, async () => {
  const c = client(own, { ports: [await freePort(), await freePort(), PORT] });
  try {
    const hello = await c.connect();
    assert.equal(hello.product, "cardbridge");
    assert.equal(hello.protocol, 1);
    assert.equal(c.port, PORT);
  } finally {
    c.close();
  }
});

test("the daemon's own origin has every capability", { skip }, async () => {
  const c = client(own);
  try {
    const hello = await c.connect();
    assert.deepEqual([...hello.capabilities].sort(), ["read", "secrets", "startUnlock"]);
    assert.ok(hello.methods.includes("pin.change"));
    const readers = await c.listReaders();
    assert.ok(Array.isArray(readers));
    const cards = await c.listCards();
    assert.ok(Array.isArray(cards));
  } finally {
    c.close();
  }
});

test("errors carry the daemon's reason, data and code", { skip }, async () => {
  const c = client(own);
  try {
    const noReader = await c.exportCertificate({ reader: "No Such Reader 99", slot: "9a" }).catch((e) => e);
    assert.equal(noReader.name, "CardBridgeError");
    assert.equal(noReader.reason, "READER_UNAVAILABLE");
    assert.equal(noReader.code, -32000);
    const badSlot = await c.call("certificates.export", { reader: "x", slot: "zz" }).catch((e) => e);
    assert.equal(badSlot.reason, "INVALID_PARAMS");
    assert.equal(badSlot.code, -32602);
    assert.equal(badSlot.data.param, "slot");
    const noMethod = await c.call("no.such.method").catch((e) => e);
    assert.equal(noMethod.reason, "METHOD_NOT_FOUND");
    const noFlow = await c.unlockStatus("0123456789abcdef0123456789abcdef").catch((e) => e);
    assert.ok(["FLOW_NOT_FOUND", "AUTHORITY_NOT_CONFIGURED"].includes(noFlow.reason), noFlow.reason);
  } finally {
    c.close();
  }
});

test("an origin outside the allowlist cannot connect", { skip }, async () => {
  const c = client("https://not-the-platform.example");
  try {
    const error = await c.connect().catch((e) => e);
    assert.equal(error.reason, "DAEMON_UNAVAILABLE");
  } finally {
    c.close();
  }
});

// A second cardbridged of the test's own (its own state folder, root and port, the stack's pcscd), so it can
// be stopped and started again without touching the stack's daemon.
const DAEMON = process.env.CARDBRIDGE_DAEMON;
function startDaemon(dir, port) {
  const child = spawn(DAEMON, ["--config", path.join(dir, "none.json"), "--state-dir", path.join(dir, "state"), "--port", String(port)],
    { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { out += d; });
  const listening = new Promise((resolve, reject) => {
    const timer = setInterval(() => { if (out.includes(`https://127.0.0.1:${port}/`)) { clearInterval(timer); resolve(); } }, 20);
    child.once("exit", (code) => { clearInterval(timer); reject(new Error(`cardbridged exited with ${code}: ${out}`)); });
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return { child, listening, exited, stop: () => { child.kill("SIGTERM"); return exited; } };
}
const until = async (check, ms = 10000) => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
};

test("reconnects with backoff after the real daemon stops and starts again", { skip: skip || (!DAEMON && "CARDBRIDGE_DAEMON is not set") }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cardbridge-restart-"));
  const port = await freePort();
  let daemon = startDaemon(dir, port);
  let c;
  try {
    await daemon.listening;
    const root = readFileSync(path.join(dir, "state", "local-root.pem"));
    c = new Client({ WebSocket: webSocketWith({ origin: `https://127.0.0.1:${port}`, ca: root }), ports: [port],
                     reconnectMinDelay: 50, reconnectMaxDelay: 400 });
    const events = [];
    for (const name of ["connected", "disconnected", "reconnecting"]) c.on(name, () => events.push(name));
    const first = await c.connect();
    assert.equal(first.product, "cardbridge");
    assert.ok(Array.isArray(await c.listReaders()));

    await daemon.stop();
    await until(() => events.includes("disconnected"));
    // While it is down the client keeps trying (several attempts, each a refused connection).
    await until(() => events.filter((e) => e === "reconnecting").length >= 3);
    assert.notEqual(c.state, "open");
    const down = await c.listReaders().catch((e) => e);
    assert.equal(down.name, "CardBridgeError");
    assert.equal(down.reason, "DAEMON_UNAVAILABLE");

    daemon = startDaemon(dir, port);  // the same state folder: the same root, so the same trust
    await daemon.listening;
    await until(() => c.state === "open");
    assert.deepEqual(events.slice(0, 3), ["connected", "disconnected", "reconnecting"]);
    assert.equal(events.filter((e) => e === "connected").length, 2);
    assert.ok(Array.isArray(await c.listReaders()), "calls work on the new connection");
  } finally {
    if (c) c.close();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
