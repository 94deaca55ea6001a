#!/usr/bin/env bash
# Regenerates common/rules/data/cn-workdays.json — China's public holidays and 调休 make-up working days per
# year — from the npm package `chinese-days` (MIT, https://github.com/vsme/chinese-days; data transcribed from
# the State Council notices on gov.cn). Usage: scripts/update-holidays.sh [version]   (default: latest)
# Needs node and npm (build-time only). The JSON is embedded into cardbridge_rules at build time; commit it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/common/rules/data/cn-workdays.json"
version="${1:-$(npm view chinese-days version)}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "chinese-days@$version" >/dev/null && tar xzf "chinese-days-$version.tgz")

node - "$tmp/package/dist/chinese-days.json" "$version" "$out" <<'NODE'
const fs = require('fs');
const [src, version, out] = process.argv.slice(2);
const data = JSON.parse(fs.readFileSync(src, 'utf8'));
for (const key of ['holidays', 'workdays', 'inLieuDays']) {
  if (typeof data[key] !== 'object') throw new Error(`${src}: no "${key}" object`);
}
const isDate = (d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !isNaN(Date.parse(d + 'T00:00:00Z'));
const weekday = (d) => new Date(d + 'T00:00:00Z').getUTCDay();
const years = {};
const yearOf = (d) => (years[d.slice(0, 4)] ??= { holidays: new Set(), workdays: new Set() });
// inLieuDays (weekdays given off in exchange for make-up days) are holidays too; the union guards against
// a release listing one only there.
for (const key of ['holidays', 'inLieuDays']) {
  for (const d of Object.keys(data[key])) {
    if (!isDate(d)) throw new Error(`bad date ${d} in ${key}`);
    yearOf(d).holidays.add(d);
  }
}
for (const d of Object.keys(data.workdays)) {
  if (!isDate(d)) throw new Error(`bad date ${d} in workdays`);
  if (weekday(d) !== 0 && weekday(d) !== 6) throw new Error(`make-up working day ${d} is not a weekend day`);
  if (data.holidays[d]) throw new Error(`${d} is both a holiday and a make-up working day`);
  yearOf(d).workdays.add(d);
}
const list = Object.keys(years).map(Number).sort((a, b) => a - b);
const firstYear = list[0], lastYear = list[list.length - 1];
for (let y = firstYear; y <= lastYear; y++) {
  if (!years[y] || years[y].holidays.size === 0) throw new Error(`no holidays for ${y}`);
}
const lines = [
  '{',
  `  "source": "npm:chinese-days@${version} dist/chinese-days.json (MIT, https://github.com/vsme/chinese-days; State Council notices on gov.cn)",`,
  `  "version": ${JSON.stringify(version)},`,
  `  "generatedAt": ${JSON.stringify(new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'))},`,
  `  "generatedBy": "scripts/update-holidays.sh",`,
  `  "firstYear": ${firstYear},`,
  `  "lastYear": ${lastYear},`,
  '  "years": {',
];
list.forEach((y, i) => {
  const entry = { holidays: [...years[y].holidays].sort(), workdays: [...years[y].workdays].sort() };
  lines.push(`    "${y}": ${JSON.stringify(entry)}${i + 1 < list.length ? ',' : ''}`);
});
lines.push('  }', '}', '');
fs.writeFileSync(out, lines.join('\n'));
console.log(`update-holidays: wrote ${out} (chinese-days ${version}, ${firstYear}–${lastYear})`);
NODE
