// Saving a certificate as a file (certificates.export → PEM text or DER bytes).

/** Triggers a download of `data` (string or Uint8Array) as `filename`. */
export function saveFile(data, filename, type) {
  const blob = new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Standard base64 → bytes. */
export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A file name safe on Windows and Linux: "张三-0A1B2C.pem". */
export function certFileName(name, serial, ext) {
  const base = `${name || "certificate"}-${serial || ""}`.replace(/[\\/:*?"<>|\s]+/g, "_").replace(/_+$/, "");
  return `${base}.${ext}`;
}
