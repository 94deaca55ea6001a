// The JS SDK under Node against the real cardbridged (scripts/demo.sh, or any daemon at CARDBRIDGE_URL):
// port fallback onto the daemon, hello and capabilities per origin, typed errors with the daemon's
// reasons, a refused origin. (Timeouts and reconnects: sdk.test.mjs, where the stand-in can stay silent.) The WebSocket is tests/web/support/ws.mjs (Node 20 has none), sending an
// Origin and trusting only the daemon's local root. Skips when no daemon answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
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
