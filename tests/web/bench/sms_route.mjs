// Benchmark (on demand, not in CI): the SMS route from the example portal to an unlocked card, with the
// browser driven at machine speed, and the bundled UI's transfer size on first load. Run through
//   tests/web/run.sh bench [N]
// which starts a fresh scripts/stack.sh --locked for each of N iterations (the authority allows one SMS per
// card per minute) and passes its settings in the environment; one JSON line per iteration on stdout, then
//   node tests/web/bench/sms_route.mjs --summarize FILE
// prints the table of docs/benchmarks.md.
//
// Timed: from page.goto(portal) to the wizard's success step (#to-certs), i.e. the daemon answered
// unlock.resetWithCode with step "done" after the card's PIN was reset. "SMS delivery" is the time from the
// click on 获取验证码 to the code's line in the authority's outbox file (polled every 5 ms): the stand-in
// for the user's phone, subtracted for the "excluding SMS delivery" figure. Every click and every field
// filled goes through act() and is counted.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { ROOT, launch, shot } from "../browser/harness.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };

if (opt("summarize")) {
  summarize(opt("summarize"));
  process.exit(0);
}

const BASE = process.env.CARDBRIDGE_URL;
const OUTBOX = process.env.CARDBRIDGE_SMS_OUTBOX;
if (!BASE || !OUTBOX) throw new Error("run through tests/web/run.sh bench (needs the stack's CARDBRIDGE_URL and CARDBRIDGE_SMS_OUTBOX)");
const daemonPort = new URL(BASE).port;
const portalPort = Number(opt("portal-port", 8080));
const iteration = Number(opt("iteration", 1));
const PORTAL = `http://localhost:${portalPort}/?ports=${daemonPort}`;

const outboxLines = () => (existsSync(OUTBOX) ? readFileSync(OUTBOX, "utf8").trim().split("\n").filter(Boolean) : []);
async function nextCode(seen) {
  const end = Date.now() + 15000;
  for (;;) {
    const lines = outboxLines();
    if (lines.length > seen) {
      const m = JSON.parse(lines[lines.length - 1]).text.match(/(\d{6})/);
      if (m) return m[1];
    }
    if (Date.now() > end) throw new Error("no SMS code in the outbox after 15 s");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const portal = spawn(process.execPath, [path.join(ROOT, "examples", "portal", "serve.mjs"), "--port", String(portalPort),
  "--daemon-ports", String(daemonPort)], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((resolve, reject) => {
  portal.stdout.on("data", (d) => { if (/example portal on/.test(d)) resolve(); });
  portal.on("exit", (code) => reject(new Error(`the portal server exited (${code})`)));
});

const browser = await launch();
const result = { iteration, at: new Date().toISOString() };
try {
  // --- The timed walk: a fresh context (cold cache), as a user opening the portal's page.
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(`console ${m.type()}: ${m.text()}`));
  page.on("websocket", (ws) => {
    log.push(`ws ${ws.url()}`);
    ws.on("socketerror", (e) => log.push(`ws error ${e}`));
    ws.on("close", () => log.push(`ws closed ${ws.url()}`));
  });
  page.on("requestfailed", (r) => log.push(`failed ${r.url()}: ${r.failure()?.errorText}`));
  const actions = { clicks: 0, fields: 0 };
  const click = (p, selector) => { actions.clicks += 1; return p.click(selector); };
  const fill = (p, selector, value) => { actions.fields += 1; return p.fill(selector, value); };
  const marks = {};
  const t0 = performance.now();
  const mark = (name) => { marks[name] = Math.round(performance.now() - t0); };

  await page.goto(PORTAL);
  const forgot = page.getByRole("button", { name: /忘记密码：张三/ });
  await forgot.waitFor({ timeout: 20000 }).catch(async (e) => {
    await shot(page, `bench-portal-failed-${iteration}`);
    throw new Error(`the portal listed no card: ${await page.textContent("#status").catch(() => "?")}\n${log.join("\n")}`, { cause: e });
  });
  mark("portalListed");
  actions.clicks += 1;
  const [wizard] = await Promise.all([context.waitForEvent("page"), forgot.click()]);
  await wizard.locator("#pre-next").waitFor({ timeout: 20000 });
  mark("wizardShown");
  await click(wizard, "#pre-next");
  await wizard.locator("#h-name").waitFor();
  await fill(wizard, "#h-name", "张三");
  await fill(wizard, "#h-idNumber", "44030519900101123X");
  await fill(wizard, "#h-phone", "13800138000");
  await click(wizard, "#id-next");
  await wizard.locator("#sms-code").waitFor({ timeout: 20000 });
  mark("smsStepShown");
  const seen = outboxLines().length;
  const sendAt = performance.now();
  await click(wizard, "#sms-send");
  const code = await nextCode(seen);
  const delivery = performance.now() - sendAt;
  mark("codeDelivered");
  await fill(wizard, "#sms-code", code);
  await fill(wizard, "#sms-new", "258014");
  await fill(wizard, "#sms-confirm", "258014");
  await click(wizard, "#sms-next");
  await wizard.locator("#to-certs").waitFor({ timeout: 20000 });
  mark("done");
  result.totalMs = marks.done;
  result.smsDeliveryMs = Math.round(delivery);
  result.withoutSmsDeliveryMs = Math.round(marks.done - delivery);
  result.fromWizardClickMs = Math.round(marks.done - marks.portalListed - delivery);
  result.marks = marks;
  result.actions = actions;
  if (iteration === 1) await shot(wizard, "bench-sms-done");

  // Not timed: the card really is unlocked (its PIN state on 我的证书).
  await wizard.goto(BASE);
  const badge = wizard.locator("article.reader").first().locator(".card-facts .badge");
  await badge.waitFor();
  result.pinStateAfter = (await badge.textContent()).trim();
  if (!/正常/.test(result.pinStateAfter)) throw new Error(`the PIN is not unlocked: ${result.pinStateAfter}`);
  await context.close();

  // --- First load of the bundled UI's two entry pages, each in a fresh context (empty cache).
  result.firstLoad = {};
  for (const name of ["", "unlock.html"]) {
    const fresh = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const p = await fresh.newPage();
    const responses = [];
    p.on("response", (r) => responses.push(r));
    await p.goto(BASE + name);
    await p.waitForLoadState("networkidle");
    const files = [];
    for (const r of responses) {
      const body = await r.body().catch(() => Buffer.alloc(0));
      const sizes = await r.request().sizes().catch(() => ({ responseBodySize: body.length, responseHeadersSize: 0 }));
      files.push({ url: r.url(), status: r.status(), bytes: body.length, transferred: sizes.responseBodySize + sizes.responseHeadersSize });
    }
    result.firstLoad[name || "index.html"] = {
      requests: files.length,
      bytes: files.reduce((a, f) => a + f.bytes, 0),
      transferred: files.reduce((a, f) => a + f.transferred, 0),
      hosts: [...new Set(files.map((f) => new URL(f.url).host))],
      files: files.map((f) => ({ path: new URL(f.url).pathname, status: f.status, bytes: f.bytes })),
    };
    await fresh.close();
  }
} finally {
  await browser.close();
  portal.kill("SIGTERM");
}
console.log(JSON.stringify(result));

function summarize(file) {
  const runs = readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  if (!runs.length) throw new Error(`no runs in ${file}`);
  const sorted = (k) => runs.map((r) => r[k]).sort((a, b) => a - b);
  const median = (xs) => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);
  const row = (label, k) => {
    const xs = sorted(k);
    console.log(`| ${label} | ${median(xs)} | ${xs[0]} | ${xs[xs.length - 1]} |`);
  };
  console.log(`${runs.length} runs; ms, median | min | max`);
  console.log("| measure | median | min | max |\n|---|---:|---:|---:|");
  row("portal opened → card unlocked (wall)", "totalMs");
  row("… excluding SMS delivery", "withoutSmsDeliveryMs");
  row("… from the click on 忘记密码, excluding SMS delivery", "fromWizardClickMs");
  row("SMS delivery (获取验证码 → code in the outbox)", "smsDeliveryMs");
  for (const m of Object.keys(runs[0].marks)) {
    const xs = runs.map((r) => r.marks[m]).sort((a, b) => a - b);
    console.log(`| mark: ${m} | ${median(xs)} | ${xs[0]} | ${xs[xs.length - 1]} |`);
  }
  const a = runs[0].actions;
  console.log(`user actions: ${a.clicks} clicks + ${a.fields} fields = ${a.clicks + a.fields}`);
  for (const [name, f] of Object.entries(runs[0].firstLoad)) {
    console.log(`first load ${name}: ${f.requests} requests, ${f.bytes} bytes uncompressed (${(f.bytes / 1024).toFixed(1)} KB), ` +
      `${f.transferred} bytes on the wire with headers, hosts ${f.hosts.join(" ")}`);
    for (const x of f.files) console.log(`  ${x.status} ${x.path} ${x.bytes}`);
  }
}
