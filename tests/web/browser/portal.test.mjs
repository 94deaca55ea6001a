// The example portal (examples/portal/) served from a second origin, as the platform's page would be: it
// lists the user's certificates through the SDK and starts 忘记密码 in the daemon's wizard; a page from an
// origin outside the allowlist cannot connect.
//
// It runs a cardbridged of its own (daemon/cardbridged of $CARDBRIDGE_BUILD_DIR, default build/; its own
// state folder and port, the demo's pcscd and authority, "platformOrigins": ["https://portal.example:PORT"])
// and a browser whose HOME holds an NSS database trusting that daemon's local root and a throwaway CA for
// portal.example / other.example; host-resolver rules map both names to 127.0.0.1. Skips without the demo
// or the build (fails instead under tests/web/run.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { freePort } from "../support/ws.mjs";
import { BUILD, DEMO, ROOT, axeScan, launch, openPage, shot } from "./harness.mjs";
import { prerequisites } from "../support/prerequisites.mjs";

const daemonBin = path.join(BUILD, "daemon", "cardbridged");
const skip = prerequisites(existsSync(daemonBin) && existsSync(path.join(DEMO, "pcscd.comm")) && existsSync(path.join(DEMO, "cardbridged.json"))
  ? false : `needs the build (${daemonBin}) and a running scripts/demo.sh`);

const children = [];
const errors = [];
let browser, dir, daemonPort, portalPort;

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
}

async function waitForLine(child, pattern, ms = 20000) {
  let seen = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${seen.slice(-2000)}`)), ms);
    const on = (d) => {
      seen += d;
      if (pattern.test(seen)) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${seen.slice(-2000)}`)));
  });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), "cardbridge-portal-"));
  const home = path.join(dir, "home");
  const nssdb = path.join(home, ".pki", "nssdb");
  mkdirSync(nssdb, { recursive: true });
  run("certutil", ["-d", `sql:${nssdb}`, "-N", "--empty-password"]);
  daemonPort = await freePort();
  portalPort = await freePort();

  // A throwaway CA and a leaf for the two portal names (its key is deleted once the leaf is signed).
  const ca = path.join(dir, "ca");
  mkdirSync(ca);
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=portal test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
    "-keyout", path.join(ca, "ca.key"), "-out", path.join(ca, "ca.pem")]);
  run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=portal.example",
    "-keyout", path.join(ca, "leaf.key"), "-out", path.join(ca, "leaf.csr")]);
  writeFileSync(path.join(ca, "leaf.ext"), "subjectAltName=DNS:portal.example,DNS:other.example\nextendedKeyUsage=serverAuth\n");
  run("openssl", ["x509", "-req", "-in", path.join(ca, "leaf.csr"), "-CA", path.join(ca, "ca.pem"), "-CAkey", path.join(ca, "ca.key"),
    "-CAcreateserial", "-days", "2", "-extfile", path.join(ca, "leaf.ext"), "-out", path.join(ca, "leaf.pem")]);
  run("rm", ["-f", path.join(ca, "ca.key")]);
  run("certutil", ["-d", `sql:${nssdb}`, "-A", "-t", "C,,", "-n", "portal test CA", "-i", path.join(ca, "ca.pem")]);

  // The daemon: the demo's authority settings plus the portal's origin.
  const config = JSON.parse(readFileSync(path.join(DEMO, "cardbridged.json"), "utf8"));
  config.platformOrigins = [`https://portal.example:${portalPort}`];
  writeFileSync(path.join(dir, "cardbridged.json"), JSON.stringify(config));
  const state = path.join(dir, "state");
  run(daemonBin, ["certs", "init", "--state-dir", state]);
  run(daemonBin, ["certs", "trust", "--state-dir", state, "--nssdb", nssdb], { env: { ...process.env, HOME: home } });
  const daemon = spawn(daemonBin, ["--config", path.join(dir, "cardbridged.json"), "--state-dir", state, "--port", String(daemonPort),
    "--web-root", path.join(ROOT, "webui")], { env: { ...process.env, PCSCLITE_CSOCK_NAME: path.join(DEMO, "pcscd.comm") } });
  children.push(daemon);
  await waitForLine(daemon, new RegExp(`https://127\\.0\\.0\\.1:${daemonPort}/`));

  const portal = spawn(process.execPath, [path.join(ROOT, "examples", "portal", "serve.mjs"), "--port", String(portalPort),
    "--cert", path.join(ca, "leaf.pem"), "--key", path.join(ca, "leaf.key"), "--daemon-ports", String(daemonPort)]);
  children.push(portal);
  await waitForLine(portal, /example portal on/);

  browser = await launch({ home, args: ["--host-resolver-rules=MAP portal.example 127.0.0.1, MAP other.example 127.0.0.1"] });
});

after(async () => {
  if (browser) await browser.close();
  for (const child of children) child.kill("SIGTERM");
});

test("the portal on its own origin lists the certificates and opens the wizard", { skip }, async () => {
  const { context, page } = await openPage(browser, errors);
  await page.goto(`https://portal.example:${portalPort}/?ports=${daemonPort}`);
  await page.locator("#certs li").first().waitFor({ timeout: 20000 });
  assert.match(await page.textContent("#status"), /已检测到数字证书客户端 V\d/);
  assert.match(await page.textContent("#certs"), /张三 · 深圳市示例医疗器械有限公司/);
  await shot(page, "portal");
  const a11y = await axeScan(page, "portal");
  assert.deepEqual(a11y, []);
  const [wizard] = await Promise.all([context.waitForEvent("page"), page.getByRole("button", { name: /忘记密码/ }).first().click()]);
  await wizard.waitForURL(new RegExp(`^https://127\\.0\\.0\\.1:${daemonPort}/unlock\\.html\\?flow=[0-9a-f]{32}$`), { timeout: 20000 });
  await wizard.getByRole("heading", { name: "忘记密码" }).waitFor();
  await wizard.locator("#step-title").waitFor();
  await shot(wizard, "portal-wizard");
  await context.close();
});

test("a page from an origin outside the allowlist cannot connect", { skip }, async () => {
  const { context, page } = await openPage(browser, errors);
  await page.goto(`https://other.example:${portalPort}/?ports=${daemonPort}`);
  await page.locator("#status.error").waitFor({ timeout: 20000 });
  assert.match(await page.textContent("#status"), /请确认已安装最新的数字证书客户端并且已开启/);
  assert.equal(await page.locator("#certs li").count(), 0);
  await shot(page, "portal-refused");
  await context.close();
});

test("no page errors", { skip }, () => assert.deepEqual(errors, []));
