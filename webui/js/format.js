// How values of the daemon's objects are shown: dates in Asia/Shanghai, algorithms (SM2 as SM2), usages,
// fingerprints, certificate states, file sizes.
import { t, getLang } from "./i18n.js";

const SOON_DAYS = 30;
const DAY_MS = 86400000;

function parts(iso, withTime) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const opts = { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hourCycle: "h23" };
  if (withTime) Object.assign(opts, { hour: "2-digit", minute: "2-digit" });
  const map = {};
  for (const p of new Intl.DateTimeFormat("en-CA", opts).formatToParts(d)) map[p.type] = p.value;
  return map;
}

/** "2027-01-31" (Beijing time). */
export function fmtDate(iso) {
  const p = parts(iso, false);
  return p ? `${p.year}-${p.month}-${p.day}` : "—";
}

/** "2027-01-31 16:00" (Beijing time). */
export function fmtDateTime(iso) {
  const p = parts(iso, true);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : "—";
}

/**
 * The certificate's state for display: {key: "valid"|"expiring"|"expired"|"notYetValid"|"unreadable",
 * days (left, for expiring)}. The daemon's status decides expired/notYetValid; "expiring" is valid with
 * at most 30 days left.
 */
export function certState(cert, now = Date.now()) {
  if (cert.status === "unreadable") return { key: "unreadable" };
  if (cert.status === "expired") return { key: "expired" };
  if (cert.status === "notYetValid") return { key: "notYetValid" };
  const end = new Date(cert.notAfter).getTime();
  const days = Math.ceil((end - now) / DAY_MS);
  if (days <= SOON_DAYS) return { key: "expiring", days: Math.max(days, 0) };
  return { key: "valid" };
}

/** Text of a certState. */
export function certStateText(state) {
  return t(`cert.status.${state.key}`, { days: state.days });
}

/** "SM2（256 位）", "ECC P-256（256 位）", "RSA（2048 位）". */
export function fmtAlgorithm(publicKey) {
  if (!publicKey) return "—";
  const alg = String(publicKey.algorithm || "");
  let name = alg;
  if (alg === "EC") name = `ECC ${publicKey.curve || ""}`.trim();
  const bits = publicKey.bits ? t("cert.bits", { bits: publicKey.bits }) : "";
  if (!bits) return name;
  return getLang() === "zh" ? `${name}（${bits}）` : `${name} (${bits})`;
}

/** "SM2-with-SM3" stays; known names stay; the rest as given. */
export function fmtSignatureAlgorithm(name) {
  const known = { sha256WithRSAEncryption: "SHA256-RSA", "ecdsa-with-SHA256": "ECDSA-SHA256", "ecdsa-with-SHA384": "ECDSA-SHA384" };
  return known[name] || name || "—";
}

/** Key usage and extended key usage, translated, joined. */
export function fmtUsage(cert) {
  const names = [...(cert.keyUsage || []), ...(cert.extendedKeyUsage || [])];
  if (!names.length) return t("ku.none");
  const sep = getLang() === "zh" ? "、" : ", ";
  return names.map((n) => (t(`ku.${n}`) === `ku.${n}` ? n : t(`ku.${n}`))).join(sep);
}

/** "5E:2A:…" in pairs. */
export function fmtFingerprint(hex) {
  return String(hex || "").toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

/** "512 KB", "1.0 MB". */
export function fmtSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** One attribute (e.g. "O", "CN") from an RFC 4514 name text "CN=张三,O=某公司\,深圳,C=CN". */
export function dnAttribute(text, type) {
  const parts = String(text || "").split(/(?<!\\),/);
  for (const p of parts) {
    const eq = p.indexOf("=");
    if (eq > 0 && p.slice(0, eq).trim().toUpperCase() === type.toUpperCase()) {
      return p.slice(eq + 1).replace(/\\(.)/g, "$1").trim();
    }
  }
  return "";
}

/** The name to show for a certificate: CN, else the subject text. */
export function certName(cert) {
  return (cert.subject && (cert.subject.cn || cert.subject.text)) || cert.slot || "";
}
