// The JS SDK (webui/sdk/cardbridge.js) under Node against a stand-in daemon (tests/web/support/ws.mjs):
// port fallback, typed errors, timeouts, reconnect with no replay, minVersion, notifications, the pending
// limit, attachment checks. tests/web/daemon.test.mjs runs the same SDK against the real cardbridged.
import { test } from "node:test";
import assert from "node:assert/strict";

import CardBridge, { Client, CardBridgeError, checkAttachment } from "../../webui/sdk/cardbridge.mjs";
import { TestWebSocket, startServer, freePort } from "./support/ws.mjs";

const base = { scheme: "ws", WebSocket: TestWebSocket, connectTimeout: 1000 };
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (fn, ms = 3000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await wait(10);
  }
};

test("the classic script and the module give the same API", async () => {
  const { createRequire } = await import("node:module");
  const required = createRequire(import.meta.url)("../../webui/sdk/cardbridge.js");
  assert.equal(required.Client, Client);
  assert.equal(globalThis.CardBridge, CardBridge);
  assert.equal(typeof CardBridge.connect, "function");
});

test("tries the ports in order and uses the first whose hello says cardbridge", async () => {
  const closed = await freePort();
  const other = await startServer({ hello: { product: "something-else" } });
  const real = await startServer();
  const client = new Client({ ...base, ports: [closed, other.port, real.port] });
  try {
    const hello = await client.connect();
    assert.equal(hello.product, "cardbridge");
    assert.equal(client.port, real.port);
    assert.equal(client.state, "open");
  } finally {
    client.close();
    await other.stop();
    await real.stop();
  }
});

test("no port answering gives DAEMON_UNAVAILABLE with the download URL", async () => {
  const client = new Client({ ...base, ports: [await freePort(), await freePort()], downloadUrl: "https://example.cn/get" });
  await assert.rejects(client.connect(), (e) => e instanceof CardBridgeError && e.reason === "DAEMON_UNAVAILABLE" &&
    e.data.downloadUrl === "https://example.cn/get" && e.data.ports.length === 2);
  client.close();
});

test("minVersion: an older daemon gives REQUIRES_UPDATE with the download URL", async () => {
  const server = await startServer({ hello: { version: "0.1.9" } });
  const client = new Client({ ...base, ports: [server.port], minVersion: "0.10.0", downloadUrl: "https://example.cn/get" });
  try {
    const error = await client.connect().catch((e) => e);
    assert.ok(error instanceof CardBridgeError);
    assert.equal(error.reason, "REQUIRES_UPDATE");
    assert.equal(error.requiresUpdate, true);
    assert.equal(error.downloadUrl, "https://example.cn/get");
    assert.equal(error.data.version, "0.1.9");
    const ok = new Client({ ...base, ports: [server.port], minVersion: "0.1.9" });
    assert.equal((await ok.connect()).version, "0.1.9");
    ok.close();
  } finally {
    client.close();
    await server.stop();
  }
});

test("errors are CardBridgeError with the daemon's reason, data and code", async () => {
  const server = await startServer({
    handle: (msg) => {
      if (msg.method === "pin.change") {
        throw { code: -32000, message: "Wrong PIN.", data: { reason: "PIN_INCORRECT", retriesLeft: 2 } };
      }
      if (msg.method === "nope") throw { code: -32601, message: "Method not found." };
      return { ok: true };
    },
  });
  const client = new Client({ ...base, ports: [server.port] });
  try {
    const error = await client.changePin({ reader: "R", oldPin: "000000", newPin: "258014" }).catch((e) => e);
    assert.ok(error instanceof CardBridgeError && error instanceof Error);
    assert.equal(error.reason, "PIN_INCORRECT");
    assert.equal(error.data.retriesLeft, 2);
    assert.equal(error.code, -32000);
    const sent = server.received.find((m) => m.method === "pin.change");
    assert.deepEqual(sent.params, { reader: "R", oldPin: "000000", newPin: "258014" }, "confirmLastTry only when asked");
    await client.changePin({ reader: "R", oldPin: "1", newPin: "2", confirmLastTry: true }).catch(() => null);
    assert.equal(server.received.filter((m) => m.method === "pin.change")[1].params.confirmLastTry, true);
    const noMethod = await client.call("nope").catch((e) => e);
    assert.equal(noMethod.reason, "METHOD_NOT_FOUND");
    assert.equal(noMethod.code, -32601);
  } finally {
    client.close();
    await server.stop();
  }
});

test("a request without an answer times out with REQUEST_TIMEOUT; a late answer is ignored", async () => {
  let late = null;
  const server = await startServer({ handle: (msg, conn) => { late = () => conn.reply(msg.id, "late"); return undefined; } });
  const client = new Client({ ...base, ports: [server.port], requestTimeout: 150 });
  try {
    const started = Date.now();
    const error = await client.listCards().catch((e) => e);
    assert.equal(error.reason, "REQUEST_TIMEOUT");
    assert.ok(Date.now() - started >= 140);
    late();
    await wait(50);
    assert.equal(client.state, "open");
    const slow = await client.call("cards.list", undefined, { timeout: 50 }).catch((e) => e);
    assert.equal(slow.reason, "REQUEST_TIMEOUT");
    assert.equal(slow.data.timeout, 50);
  } finally {
    client.close();
    await server.stop();
  }
});

test("a lost connection fails pending requests with CONNECTION_LOST, reconnects, and never replays them", async () => {
  let dropNext = true;
  let server = await startServer({
    handle: (msg, conn) => {
      if (msg.method === "pin.change" && dropNext) { dropNext = false; conn.drop(); return undefined; }
      return [];
    },
  });
  const port = server.port;
  const client = new Client({ ...base, ports: [port], reconnectMinDelay: 50, reconnectMaxDelay: 200 });
  const events = [];
  client.on("connected", () => events.push("connected"));
  client.on("disconnected", () => events.push("disconnected"));
  client.on("reconnecting", () => events.push("reconnecting"));
  try {
    await client.connect();
    const error = await client.changePin({ reader: "R", oldPin: "111222", newPin: "258014" }).catch((e) => e);
    assert.equal(error.reason, "CONNECTION_LOST");
    await until(() => events.filter((e) => e === "connected").length === 2);
    assert.deepEqual(events.slice(0, 3), ["connected", "disconnected", "reconnecting"]);
    // The daemon restarts: the client keeps trying with backoff until it is back.
    const seen = server.received;
    await server.stop();
    await until(() => client.state !== "open");
    await wait(300);
    server = await startServer({ port, handle: () => [] });
    await until(() => client.state === "open", 5000);
    assert.deepEqual(await client.listCards(), []);
    assert.equal(seen.filter((m) => m.method === "pin.change").length, 1);
    assert.equal(server.received.filter((m) => m.method === "pin.change").length, 0, "a PIN call is never replayed");
  } finally {
    client.close();
    await server.stop();
  }
});

test("notifications become events", async () => {
  const server = await startServer();
  const client = new Client({ ...base, ports: [server.port] });
  try {
    await client.connect();
    const got = new Promise((resolve) => client.once("card.inserted", resolve));
    const any = new Promise((resolve) => client.once("notification", resolve));
    [...server.conns][0].notify("card.inserted", { reader: "R", card: { cardId: "AB" } });
    assert.deepEqual(await got, { reader: "R", card: { cardId: "AB" } });
    assert.equal((await any).method, "card.inserted");
  } finally {
    client.close();
    await server.stop();
  }
});

test("at most maxPending requests are on the wire; the rest wait in the SDK", async () => {
  const waiting = [];
  let maxOutstanding = 0;
  const server = await startServer({
    handle: (msg, conn) => {
      waiting.push(() => conn.reply(msg.id, msg.id));
      maxOutstanding = Math.max(maxOutstanding, waiting.length);
      return undefined;
    },
  });
  const client = new Client({ ...base, ports: [server.port], maxPending: 2 });
  try {
    await client.connect();
    const calls = Array.from({ length: 5 }, () => client.listReaders());
    await until(() => waiting.length === 2);
    await wait(50);
    assert.equal(waiting.length, 2, "only two on the wire");
    for (let answered = 0; answered < 5; answered++) {
      await until(() => waiting.length > 0);
      waiting.shift()();
    }
    await Promise.all(calls);
    assert.equal(maxOutstanding, 2);
  } finally {
    client.close();
    await server.stop();
  }
});

test("helpers send the documented method names and params", async () => {
  const server = await startServer({ handle: () => ({}) });
  const client = new Client({ ...base, ports: [server.port] });
  try {
    await client.beginUnlock({ reader: "R" });
    await client.identify("f", { name: "张三" });
    await client.sendCode("f");
    await client.resetWithCode("f", "123456", "258014");
    await client.submit("f");
    await client.unlockStatus("f");
    await client.withdraw("f");
    await client.applicationForm("f");
    await client.resetApproved("f", "258014");
    await client.exportCertificate({ reader: "R", slot: "9a", format: "der" });
    const sent = server.received.filter((m) => m.method !== "system.hello").map((m) => [m.method, m.params]);
    assert.deepEqual(sent, [
      ["unlock.begin", { reader: "R" }],
      ["unlock.identify", { flowId: "f", handler: { name: "张三" } }],
      ["unlock.sendCode", { flowId: "f" }],
      ["unlock.resetWithCode", { flowId: "f", code: "123456", newPin: "258014" }],
      ["unlock.submit", { flowId: "f" }],
      ["unlock.status", { flowId: "f" }],
      ["unlock.withdraw", { flowId: "f" }],
      ["unlock.applicationForm", { flowId: "f" }],
      ["unlock.resetApproved", { flowId: "f", newPin: "258014" }],
      ["certificates.export", { reader: "R", slot: "9a", format: "der" }],
    ]);
    assert.ok(server.received.every((m) => m.jsonrpc === "2.0" && Number.isInteger(m.id)));
    assert.equal(new Set(server.received.map((m) => m.id)).size, server.received.length, "ids are unique");
  } finally {
    client.close();
    await server.stop();
  }
});

test("checkAttachment decides by size and magic bytes, as the daemon", async () => {
  const png = new Blob([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])]);
  assert.deepEqual(await checkAttachment(png), { contentType: "image/png", size: 9 });
  assert.equal((await checkAttachment(new Blob(["%PDF-1.7"]))).contentType, "application/pdf");
  assert.equal((await checkAttachment(new Blob(["GIF89a"]))).contentType, "image/gif");
  assert.equal((await checkAttachment(new Blob(["BM"]))).contentType, "image/bmp");
  await assert.rejects(checkAttachment(new Blob(["hello"])), (e) => e.reason === "ATTACHMENT_TYPE");
  await assert.rejects(checkAttachment(new Blob([])), (e) => e.reason === "ATTACHMENT_TYPE");
  const big = new Blob([new Uint8Array(1048577).fill(0xff)]);
  await assert.rejects(checkAttachment(big), (e) => e.reason === "ATTACHMENT_TOO_LARGE" && e.data.limit === 1048576);
  assert.equal((await checkAttachment(new Blob([new Uint8Array([0xff, 0xd8, 0xff]), new Uint8Array(1048573)]))).contentType, "image/jpeg");
});

test("compareVersions", () => {
  assert.equal(CardBridge.compareVersions("0.10.0", "0.9.9"), 1);
  assert.equal(CardBridge.compareVersions("1.0", "1.0.0"), 0);
  assert.equal(CardBridge.compareVersions("0.1.0-rc1", "0.1.1"), -1);
});
