// The reasons table of the web UI (webui/js/reasons.js) against the contract (docs/api.md §7): every
// reason of the doc has a Chinese and an English sentence, the table has no reason the doc lacks, the
// sentences are the doc's, and placeholders fill from the error's data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

import { REASONS, PIN_POLICY_VIOLATIONS, CLIENT_REASONS, reasonText } from "../../webui/js/reasons.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const api = readFileSync(path.join(root, "docs/api.md"), "utf8");

/** The rows of the table in §7: [{reason, zh, en}]. */
function docReasons() {
  const start = api.indexOf("## 7. Error reasons");
  assert.ok(start >= 0, "docs/api.md has no section '## 7. Error reasons'");
  const next = api.indexOf("\n## ", start + 1);
  const section = api.slice(start, next < 0 ? undefined : next);
  const header = section.split("\n").find((l) => l.startsWith("| reason"));
  assert.ok(header, "§7 has no table with a 'reason' column");
  const columns = header.split("|").slice(1, -1).map((c) => c.trim());
  const zhAt = columns.indexOf("中文");
  const enAt = columns.indexOf("English");
  assert.ok(zhAt > 0 && enAt > 0, "§7's table has no 中文 / English columns");
  return section
    .split("\n")
    .filter((l) => /^\|\s*`[A-Z_]+`/.test(l))
    .map((l) => {
      const cells = l.split("|").slice(1, -1).map((c) => c.trim());
      return { reason: cells[0].replace(/`/g, ""), zh: cells[zhAt], en: cells[enAt] };
    });
}

/** The violations named in the paragraph under §7's table. */
function docViolations() {
  const start = api.indexOf("`PIN_POLICY` texts per `data.violation`");
  assert.ok(start >= 0, "§7 lost the PIN_POLICY violations paragraph");
  const para = api.slice(start, api.indexOf("\n\n", start) < 0 ? undefined : api.indexOf("\n\n", start));
  return [...para.matchAll(/`([A-Z][a-zA-Z]+)`/g)].map((m) => m[1]).filter((v) => v !== "PIN_POLICY");
}

test("docs/api.md §7 lists reasons", () => {
  assert.ok(docReasons().length >= 40, "fewer rows than expected: the parser or the doc changed");
});

test("every reason of docs/api.md §7 has a Chinese and an English sentence", () => {
  const missing = docReasons().filter((r) => !REASONS[r.reason] || !REASONS[r.reason].zh || !REASONS[r.reason].en);
  assert.deepEqual(missing.map((r) => r.reason), [], "reasons without a sentence in webui/js/reasons.js");
});

test("the table has no reason docs/api.md §7 lacks", () => {
  const documented = new Set(docReasons().map((r) => r.reason));
  const extra = Object.keys(REASONS).filter((r) => !documented.has(r));
  assert.deepEqual(extra, [], "reasons in webui/js/reasons.js that docs/api.md §7 does not list");
});

test("the sentences are the contract's, word for word", () => {
  for (const row of docReasons()) {
    assert.equal(REASONS[row.reason].zh, row.zh, `${row.reason} (中文)`);
    assert.equal(REASONS[row.reason].en, row.en, `${row.reason} (English)`);
  }
});

test("the SDK's own reasons do not shadow the daemon's", () => {
  for (const reason of Object.keys(CLIENT_REASONS)) assert.equal(REASONS[reason], undefined, reason);
});

test("every PIN_POLICY violation of the doc has a sentence", () => {
  const violations = docViolations();
  assert.ok(violations.length >= 5);
  for (const v of violations) {
    assert.ok(PIN_POLICY_VIOLATIONS[v]?.zh && PIN_POLICY_VIOLATIONS[v]?.en, v);
  }
  assert.deepEqual(Object.keys(PIN_POLICY_VIOLATIONS).sort(), [...violations].sort());
});

test("placeholders fill from data, and a missing value never shows as 'undefined'", () => {
  assert.equal(reasonText({ reason: "PIN_INCORRECT", data: { retriesLeft: 2 } }), "密码错误，还可尝试 2 次。");
  assert.equal(reasonText({ reason: "CODE_INCORRECT", data: { triesLeft: 4 } }, "en"), "Wrong code; 4 tries left.");
  assert.equal(reasonText({ reason: "CODE_COOLDOWN", data: { retryAfter: 42 } }), "请 42 秒后再获取验证码。");
  for (const reason of [...Object.keys(REASONS), ...Object.keys(CLIENT_REASONS)]) {
    for (const lang of ["zh", "en"]) {
      const text = reasonText({ reason, data: {} }, lang);
      assert.ok(text && !/undefined|null|\{\w+\}/.test(text), `${reason} ${lang}: ${text}`);
    }
  }
});

test("PIN_POLICY names the violation; an unknown reason still gives a sentence with its code", () => {
  assert.match(reasonText({ reason: "PIN_POLICY", data: { violation: "Sequential" } }), /连续数字/);
  assert.match(reasonText({ reason: "PIN_POLICY", data: { violation: "AllSame" } }, "en"), /same digit/);
  assert.match(reasonText({ reason: "SOMETHING_NEW", data: {} }), /SOMETHING_NEW/);
});
