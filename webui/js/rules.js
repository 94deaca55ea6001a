// The 经办人信息 form rules and the PIN policy, as the web UI checks them for instant feedback. They mirror
// common/rules/src/form.cpp (the authority's decision) and daemon/card/src/pin_policy.cpp field by field
// and problem by problem, so a client-side message is the same as the one for the server's
// FORM_INVALID data.fields [{field, problem}]. Pure functions; tests/web/rules.test.mjs.

/** The six 证件类型 (domain.md), in the order the form lists them; the Chinese name is the wire value. */
export const ID_TYPES = [
  { name: "居民身份证", code: "resident_id", en: "PRC resident ID card" },
  { name: "港澳居民来往内地通行证", code: "hk_macao_permit", en: "Mainland travel permit for HK/Macao residents" },
  { name: "台湾居民来往大陆通行证", code: "taiwan_permit", en: "Mainland travel permit for Taiwan residents" },
  { name: "护照", code: "passport", en: "Passport" },
  { name: "外国人永久居留身份证", code: "foreign_permanent_resident", en: "Foreign permanent resident ID card" },
  { name: "港澳台居民居住证", code: "hmt_residence_permit", en: "Residence permit for HK/Macao/Taiwan residents" },
];

export const FIELDS = ["organization", "name", "idType", "idNumber", "phone"];

const MIDDLE_DOT = "\u00B7";
// Separators typed between the parts of a name instead of U+00B7 (form.cpp isMiddleDotLookAlike).
const MIDDLE_DOT_LOOK_ALIKES = /[\u2022\u2027\u2219\u22C5\u30FB\uFF65\uFF0E]/g;

/** NFC, then trim and collapse every run of white space to one space (form.cpp normalizeText). */
export function normalizeText(text) {
  return String(text ?? "").normalize("NFC").replace(/[\s\u0085]+/gu, " ").trim();
}

/** 经办人姓名 as compared: normalizeText plus look-alike dots mapped to U+00B7. */
export function normalizeName(text) {
  return normalizeText(text).replace(MIDDLE_DOT_LOOK_ALIKES, MIDDLE_DOT);
}

function foldFullWidth(ch) {
  const c = ch.codePointAt(0);
  if (c >= 0xff01 && c <= 0xff5e) return String.fromCodePoint(c - 0xff01 + 0x21);
  if (c === 0x3000) return " ";
  return ch;
}

/** Identifier text: full-width folded, white space removed, upper-cased; null when non-ASCII remains. */
function identifierText(text) {
  let out = "";
  for (const ch of String(text ?? "")) {
    const c = foldFullWidth(ch);
    if (/\s/u.test(c)) continue;
    if (c.codePointAt(0) >= 0x80) return null;
    out += c.toUpperCase();
  }
  return out;
}

const ok = (value) => ({ value, problem: null });
const fail = (problem) => ({ value: null, problem });
const codePoints = (s) => [...s].length;

/** GB 11643-1999 MOD 11-2 check character of 17 digits, or null. */
export function gb11643CheckChar(first17) {
  if (!/^\d{17}$/.test(first17)) return null;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * weights[i];
  return "10X98765432"[sum % 11];
}

/** GB/T 2260 province-level codes used by GB 11643-1999 resident IDs (31 mainland divisions). */
export function isMainlandProvinceCode(code) {
  return (code >= 11 && code <= 15) || (code >= 21 && code <= 23) || (code >= 31 && code <= 37) ||
    (code >= 41 && code <= 46) || (code >= 50 && code <= 54) || (code >= 61 && code <= 65);
}

/** Today's date in Asia/Shanghai as "YYYY-MM-DD". */
export function shanghaiToday(now = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" })
    .format(now);
}

function checkGb11643(id, mainland, today) {
  if (!/^\d{17}[\dX]$/.test(id)) return fail("format");
  if (mainland) {
    if (!isMainlandProvinceCode(Number(id.slice(0, 2)))) return fail("region");
  } else if (!["810000", "820000", "830000"].includes(id.slice(0, 6))) {
    return fail("region");
  }
  const y = Number(id.slice(6, 10)), m = Number(id.slice(10, 12)), d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  const real = m >= 1 && m <= 12 && d >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 &&
    date.getUTCDate() === d;
  if (!real || id.slice(6, 14) > today.replace(/-/g, "")) return fail("date");
  if (gb11643CheckChar(id.slice(0, 17)) !== id[17]) return fail("checksum");
  return ok(id);
}

/** 机构名称: required, 2–100 code points after normalisation, no control characters. */
export function checkOrganization(text) {
  const v = normalizeText(text);
  if (!v) return fail("required");
  if (/[\p{C}]/u.test(v)) return fail("format");
  const n = codePoints(v);
  if (n < 2 || n > 100) return fail("length");
  return ok(v);
}

/** 经办人姓名: required, ≤ 50 code points; letters, marks, spaces, ·, and - ' ’ . only. */
export function checkName(text) {
  const v = normalizeName(text);
  if (!v) return fail("required");
  if (!/^[\p{L}\p{M} \u00B7\-'\u2019.]+$/u.test(v)) return fail("format");
  if (codePoints(v) > 50) return fail("length");
  return ok(v);
}

/** 证件类型: the Chinese name or the ASCII code of one of ID_TYPES. */
export function checkIdType(text) {
  const v = normalizeText(text);
  if (!v) return fail("required");
  const type = ID_TYPES.find((t) => t.name === v || t.code === v);
  return type ? ok(type.name) : fail("unknown_type");
}

/** 证件号码 for the type (Chinese name), as of `today` ("YYYY-MM-DD", Asia/Shanghai). */
export function checkIdNumber(idType, text, today = shanghaiToday()) {
  const s = identifierText(text);
  if (s === null) return fail("format");
  if (!s) return fail("required");
  switch (idType) {
    case "居民身份证":
      return checkGb11643(s, true, today);
    case "港澳台居民居住证":
      return checkGb11643(s, false, today);
    case "港澳居民来往内地通行证":
      return /^[HM]\d{8}(\d{2})?$/.test(s) ? ok(s) : fail("format");
    case "台湾居民来往大陆通行证":
      return /^\d{8}$/.test(s) ? ok(s) : fail("format");
    case "外国人永久居留身份证":
      if (/^9\d{16}[\dX]$/.test(s)) return gb11643CheckChar(s.slice(0, 17)) === s[17] ? ok(s) : fail("checksum");
      return /^[A-Z]{3}\d{12}$/.test(s) ? ok(s) : fail("format");
    case "护照":
      if (!/^[A-Z0-9]+$/.test(s)) return fail("format");
      return s.length < 5 || s.length > 17 ? fail("length") : ok(s);
    default:
      return fail("unknown_type");
  }
}

/** Mainland mobile number; +86 / 0086 / 86 prefixes, spaces and dashes stripped. */
export function checkPhone(text) {
  let digits = "";
  for (const ch of String(text ?? "")) {
    const c = foldFullWidth(ch);
    if (/\s/u.test(c) || c === "-") continue;
    if (c.codePointAt(0) >= 0x80) return fail("format");
    digits += c;
  }
  if (!digits) return fail("required");
  let s = digits;
  if (s.startsWith("+86")) s = s.slice(3);
  else if (s.startsWith("0086")) s = s.slice(4);
  else if (s.length === 13 && s.startsWith("86")) s = s.slice(2);
  return /^1[3-9]\d{9}$/.test(s) ? ok(s) : fail("format");
}

/**
 * The whole handler form: {form (normalised values), errors: {field: problem}} with at most one problem
 * per field, as form.cpp validateHandler.
 */
export function validateHandler(handler, today = shanghaiToday()) {
  const form = { ...handler };
  const errors = {};
  const apply = (field, result) => {
    if (result.problem) errors[field] = result.problem;
    else form[field] = result.value;
  };
  apply("organization", checkOrganization(handler.organization));
  apply("name", checkName(handler.name));
  const type = checkIdType(handler.idType);
  apply("idType", type);
  if (!type.problem) apply("idNumber", checkIdNumber(type.value, handler.idNumber, today));
  else if (!normalizeText(handler.idNumber)) errors.idNumber = "required";
  apply("phone", checkPhone(handler.phone));
  return { form, errors, ok: Object.keys(errors).length === 0 };
}

/** "138****5678". */
export function maskPhone(phone) {
  const s = String(phone);
  if (s.length < 8) return "*".repeat(s.length);
  return s.slice(0, 3) + "*".repeat(s.length - 7) + s.slice(-4);
}

export const PIN_MIN_LENGTH = 6;
export const PIN_MAX_LENGTH = 8;

/** The PIN policy's violation ("TooShort", "TooLong", "NotDigits", "AllSame", "Sequential") or null. */
export function pinViolation(pin) {
  const s = String(pin ?? "");
  if (s.length < PIN_MIN_LENGTH) return "TooShort";
  if (s.length > PIN_MAX_LENGTH) return "TooLong";
  if (!/^\d+$/.test(s)) return "NotDigits";
  let same = true, up = true, down = true;
  for (let i = 1; i < s.length; i++) {
    const step = s.charCodeAt(i) - s.charCodeAt(i - 1);
    same = same && step === 0;
    up = up && step === 1;
    down = down && step === -1;
  }
  if (same) return "AllSame";
  if (up || down) return "Sequential";
  return null;
}

/**
 * The policy's checklist as the user types: [{rule, met}] for "length" (6–8), "digits", "notSame",
 * "notSequential", and "match" when `confirm` is given (undefined: not yet typed).
 */
export function pinChecklist(pin, confirm) {
  const s = String(pin ?? "");
  const digits = /^\d*$/.test(s);
  const v = pinViolation(s);
  const list = [
    { rule: "length", met: s.length >= PIN_MIN_LENGTH && s.length <= PIN_MAX_LENGTH },
    { rule: "digits", met: s.length > 0 && digits },
    { rule: "notSame", met: s.length > 1 && digits && v !== "AllSame" },
    { rule: "notSequential", met: s.length > 1 && digits && v !== "Sequential" && v !== "AllSame" },
  ];
  if (confirm !== undefined) list.push({ rule: "match", met: s.length > 0 && s === confirm });
  return list;
}
