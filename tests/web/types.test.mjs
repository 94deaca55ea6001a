// The SDK's TypeScript declarations (webui/sdk/cardbridge.d.ts, .d.mts) against the code and the contract:
// tsc --strict over a portal written in TypeScript (module and classic-script use, and misuse that must be
// refused), the Reason union against docs/api.md §7, and every runtime member declared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

import CardBridge, { Client } from "../../webui/sdk/cardbridge.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dts = readFileSync(path.join(root, "webui/sdk/cardbridge.d.ts"), "utf8");
const tsc = path.join(root, "node_modules/typescript/bin/tsc");

/** The string literals of `export type NAME = "A" | "B" …;`. */
function union(name) {
  const start = dts.indexOf(`export type ${name} =`);
  assert.ok(start >= 0, `cardbridge.d.ts has no type ${name}`);
  return [...dts.slice(start, dts.indexOf(";", start)).matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]).sort();
}

/** The member names declared in the block that starts with `head {`. */
function members(head) {
  const start = dts.indexOf(head);
  assert.ok(start >= 0, `cardbridge.d.ts has no '${head}'`);
  let depth = 0;
  let end = start;
  for (let i = dts.indexOf("{", start); i < dts.length; i++) {
    if (dts[i] === "{") depth++;
    if (dts[i] === "}" && --depth === 0) { end = i; break; }
  }
  return new Set([...dts.slice(start, end).matchAll(/^\s+(?:readonly\s+)?([A-Za-z_]+)\??[(<:]/gm)].map((m) => m[1]));
}

test("a portal written in TypeScript type-checks under --strict, and misuse is refused", () => {
  assert.ok(existsSync(tsc), "typescript is missing: npm ci");
  try {
    execFileSync(process.execPath, [tsc, "-p", path.join(root, "tests/web/types")], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc found errors (an unused @ts-expect-error means a misuse was accepted):\n${e.stdout}${e.stderr}`);
  }
});

test("the Reason union is exactly docs/api.md §7's reasons", () => {
  const api = readFileSync(path.join(root, "docs/api.md"), "utf8");
  const start = api.indexOf("## 7. Error reasons");
  const section = api.slice(start, api.indexOf("\n## ", start + 1));
  const documented = [...section.matchAll(/^\|\s*`([A-Z_]+)`/gm)].map((m) => m[1]).sort();
  assert.ok(documented.length >= 40);
  assert.deepEqual(union("Reason"), documented);
});

test("ClientReason is exactly the SDK's own reasons", () => {
  assert.deepEqual(union("ClientReason"), Object.keys(CardBridge.CLIENT_REASONS).sort());
});

test("every method of Client and every member of CardBridge is declared", () => {
  const declared = members("export class Client");
  const methods = Object.getOwnPropertyNames(Client.prototype).filter((n) => !n.startsWith("_") && n !== "constructor");
  for (const name of ["on", "once", "off"]) methods.push(name);
  assert.deepEqual(methods.filter((m) => !declared.has(m)), [], "Client methods missing from cardbridge.d.ts");
  for (const m of methods) assert.equal(typeof new Client({ reconnect: false })[m], "function", m);
  const global = members("declare const CardBridge: {");
  // The declaration block is one line per group: collect `name:` pairs too.
  const start = dts.indexOf("declare const CardBridge: {");
  const block = dts.slice(start, dts.indexOf("};", start));
  for (const m of block.matchAll(/([A-Za-z_]+):/g)) global.add(m[1]);
  assert.deepEqual(Object.keys(CardBridge).filter((k) => !global.has(k)), [], "CardBridge members missing from the declarations");
});
