// What the browser walks share: Debian's chromium through playwright-core (headless, trusting the daemon's
// local root through the NSS database in $HOME/.pki/nssdb — never with certificate errors switched off),
// the running demo (scripts/demo.sh --locked: its SMS outbox, its authority, its virtual card's control
// socket), screenshots as artifacts, and an axe-core scan.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import zlib from "node:zlib";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../../..");
export const BASE = process.env.CARDBRIDGE_URL || "https://127.0.0.1:23443/";
export const DEMO = process.env.CARDBRIDGE_DEMO_DIR || "/tmp/cardbridge-demo";
export const BUILD = process.env.CARDBRIDGE_BUILD_DIR || path.join(ROOT, "build");
export const ARTIFACTS = process.env.CARDBRIDGE_WEB_ARTIFACTS || path.join(BUILD, "web-artifacts");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

// DESIGN.md §7: what Debian's chromium needs on these machines.
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** Launches chromium; home: the HOME whose .pki/nssdb it trusts (default: the caller's). */
export function launch({ home, args = [] } = {}) {
  const env = { ...process.env };
  if (home) env.HOME = home;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...args], env });
}

/** A page at 1366×768 that logs page errors; the errors array fails the walk at the end. */
export async function openPage(browser, errors) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on("dialog", (d) => d.accept());
  return { context, page };
}

let shotCount = 0;
/** Saves a full-page screenshot as a test artifact: build/web-artifacts/<test file>-NN-name.png. */
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  shotCount += 1;
  const prefix = path.basename(process.argv[1] || "walk").replace(/\.test\.mjs$/, "");
  const file = path.join(ARTIFACTS, `${prefix}-${String(shotCount).padStart(2, "0")}-${name}.png`);
  await page.waitForTimeout(150);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Writes a JSON artifact. */
export function artifact(name, data) {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, name), JSON.stringify(data, null, 2) + "\n");
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/**
 * Runs axe-core (WCAG 2 A/AA rules) on the page; returns the serious and critical violations. The script
 * is evaluated through the DevTools protocol, which the page's CSP does not govern, so the page keeps its
 * CSP during the scan.
 */
export async function axeScan(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    globalThis.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  artifact(`axe-${label}.json`, result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) })));
  return bad.map((v) => `${label}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Whether the daemon answers at BASE (the walks skip when it does not). */
export async function daemonUp() {
  const u = new URL(BASE);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port) || 443 }, () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

/** The demo authority's base URL (its listen port from authority.json). */
export function authorityUrl() {
  const config = JSON.parse(readFileSync(path.join(DEMO, "authority", "authority.json"), "utf8"));
  return `https://127.0.0.1:${config.listen.port}`;
}

const outbox = () => path.join(DEMO, "authority", "data", "sms-outbox.jsonl");
/** Lines in the SMS outbox so far. */
export function outboxLines() {
  return existsSync(outbox()) ? readFileSync(outbox(), "utf8").trim().split("\n").filter(Boolean) : [];
}
/** Waits for an SMS after `seen` lines and returns its 6-digit code. */
export async function nextSmsCode(seen, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const lines = outboxLines();
    if (lines.length > seen) {
      const m = JSON.parse(lines[lines.length - 1]).text.match(/(\d{6})/);
      if (m) return m[1];
    }
    if (Date.now() > end) throw new Error("no SMS code arrived in the outbox");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends one command to the virtual card's control socket ("insert", "remove"); resolves its JSON reply. */
export function vcard(command) {
  return new Promise((resolve, reject) => {
    const s = net.connect(path.join(DEMO, "vcard.sock"));
    let data = "";
    s.on("connect", () => s.write(command + "\n"));
    s.on("data", (d) => {
      data += d;
      if (data.includes("\n")) { s.destroy(); resolve(JSON.parse(data)); }
    });
    s.on("error", reject);
  });
}

/**
 * A HOME for the reviewer's browser whose NSS database trusts the demo authority's CA, as a reviewer's
 * workstation would (certutil from libnss3-tools).
 */
export function reviewerHome() {
  const home = mkdtempSync(path.join(os.tmpdir(), "cardbridge-reviewer-"));
  const db = `sql:${path.join(home, ".pki", "nssdb")}`;
  mkdirSync(path.join(home, ".pki", "nssdb"), { recursive: true });
  execFileSync("certutil", ["-d", db, "-N", "--empty-password"]);
  execFileSync("certutil", ["-d", db, "-A", "-t", "C,,", "-n", "cardbridge demo CA", "-i", path.join(DEMO, "ca", "ca.pem")]);
  return home;
}

/** The reviewer logs in to the authority's pages in a browser of its own and approves the request. */
export async function reviewerApprove(requestId, home) {
  const browser = await launch({ home });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const base = authorityUrl();
    await page.goto(`${base}/review/`);
    await page.fill("input[name=username]", "reviewer");
    await page.fill("input[name=password]", "demo-reviewer-1");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    await page.goto(`${base}/review/requests/${requestId}`);
    // The page embeds the attachments (a PDF viewer among them) that keep loading and resizing after "load";
    // a click during that lands wherever the button was a moment ago (seen: no navigation, 2 runs in 5).
    await page.waitForLoadState("networkidle");
    await shot(page, "reviewer-request");
    // The decision page embeds the attachments again, whose "load" can take long on a busy machine; the
    // answer is in the table, there once the document is parsed.
    await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), page.getByRole("button", { name: /通过/ }).click()]);
    return await page.textContent("table");
  } finally {
    await browser.close();
  }
}

/** A valid w×h red PNG. */
function makePng(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0); header.writeUInt32BE(h, 4); header[8] = 8; header[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, Buffer.from([200, 30, 30]))]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from("89504E470D0A1A0A", "hex"), chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** Test files to upload: a PNG, a PDF, a text file (wrong type) and a PDF over 1024 KB. */
export function sampleFiles() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cardbridge-files-"));
  const png = makePng(120, 80);
  const files = {
    png: path.join(dir, "申请表.png"),
    pdf: path.join(dir, "license.pdf"),
    id: path.join(dir, "id.png"),
    txt: path.join(dir, "notes.txt"),
    big: path.join(dir, "big.pdf"),
  };
  writeFileSync(files.png, png);
  writeFileSync(files.id, png);
  writeFileSync(files.pdf, "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  writeFileSync(files.txt, "hello");
  writeFileSync(files.big, Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(1048600, 0x30)]));
  return files;
}

/** The text of a PDF (pdftotext from poppler-utils). */
export function pdfText(file) {
  return execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
}

/** Number of pages of a PDF (pdfinfo). */
export function pdfPages(file) {
  const m = execFileSync("pdfinfo", [file], { encoding: "utf8" }).match(/Pages:\s+(\d+)/);
  return m ? Number(m[1]) : 0;
}
