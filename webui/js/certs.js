// 我的证书: every reader, its card, the card's PIN state and each certificate's details; 导出 (PEM/DER) and
// 忘记密码. Live: the store follows the daemon's notifications.
import { h, replace, announce } from "./dom.js";
import { t, getLang } from "./i18n.js";
import { reasonText } from "./reasons.js";
import {
  certName, certState, certStateText, fmtAlgorithm, fmtDate, fmtDateTime, fmtFingerprint, fmtSignatureAlgorithm, fmtUsage,
} from "./format.js";
import { saveFile, base64ToBytes, certFileName } from "./download.js";
import { keepFocus } from "./shell.js";

/** The URL of the wizard for a card's certificate. */
export function unlockUrl(reader, slot) {
  const q = new URLSearchParams({ reader });
  if (slot) q.set("slot", slot);
  return `unlock.html?${q}`;
}

/** PIN state as a badge: {text, tone}. */
export function pinBadge(pin) {
  if (!pin) return { text: t("pin.unknown"), tone: "muted" };
  switch (pin.state) {
    case "ok":
      if (pin.retriesLeft === 1) return { text: t("pin.lastTry"), tone: "warn" };
      return { text: typeof pin.retriesLeft === "number" ? t("pin.ok", { n: pin.retriesLeft }) : t("pin.okUnknown"), tone: "ok" };
    case "verified":
      return { text: t("pin.verified"), tone: "ok" };
    case "blocked":
      return { text: t("pin.blocked"), tone: "bad" };
    default:
      return { text: t("pin.unknown"), tone: "muted" };
  }
}

export function createCertsView(root, { client, store }) {
  async function exportCert(card, cert, format) {
    const name = certName(cert);
    try {
      const result = await client.exportCertificate({ reader: card.reader, slot: cert.slot, format });
      const file = certFileName(name, cert.serialNumber, format === "der" ? "cer" : "pem");
      if (format === "der") saveFile(base64ToBytes(result.data), file, "application/pkix-cert");
      else saveFile(result.data, file, "application/x-pem-file");
      announce(t("cert.exported", { file }));
    } catch (error) {
      announce(reasonText(error, getLang()), true);
    }
  }

  function row(label, ...value) {
    return [h("dt", null, label), h("dd", null, ...value)];
  }

  function renderCert(card, cert, index) {
    const state = certState(cert);
    const name = certName(cert);
    const headingId = `cert-${index}-h`;
    if (cert.status === "unreadable") {
      return h("section", { class: "cert", "aria-labelledby": headingId },
        h("h3", { id: headingId }, `${t("cert.slot")} ${cert.slot.toUpperCase()}`),
        h("p", { class: "badge bad" }, certStateText(state)),
        h("dl", { class: "facts" }, row(t("cert.fingerprint"), h("code", { class: "fp" }, fmtFingerprint(cert.sha256)))));
    }
    const tone = { valid: "ok", expiring: "warn", expired: "bad", notYetValid: "warn" }[state.key];
    const blocked = card.pin && card.pin.state === "blocked";
    return h("section", { class: "cert", "aria-labelledby": headingId },
      h("div", { class: "cert-head" },
        h("h3", { id: headingId }, name),
        h("span", { class: `badge ${tone}` }, certStateText(state))),
      h("dl", { class: "facts" },
        row(t("cert.holder"), cert.subject.cn || "—"),
        row(t("cert.organization"), cert.subject.o || "—"),
        row(t("cert.issuer"), cert.issuer.cn || cert.issuer.o || cert.issuer.text),
        row(t("cert.serial"), h("code", null, cert.serialNumber)),
        row(t("cert.validity"),
          t("cert.validityRange", { from: fmtDateTime(cert.notBefore), to: fmtDateTime(cert.notAfter) })),
        row(t("cert.algorithm"), fmtAlgorithm(cert.publicKey)),
        row(t("cert.signatureAlgorithm"), fmtSignatureAlgorithm(cert.signatureAlgorithm)),
        row(t("cert.usage"), fmtUsage(cert)),
        row(t("cert.fingerprint"), h("code", { class: "fp" }, fmtFingerprint(cert.sha256))),
        row(t("cert.slot"), cert.slot.toUpperCase())),
      h("div", { class: "actions" },
        h("button", {
          type: "button", id: `export-pem-${card.cardId}-${cert.slot}`,
          "aria-label": t("cert.exportLabel", { name, format: "PEM" }), onclick: () => exportCert(card, cert, "pem"),
        }, t("cert.exportPem")),
        h("button", {
          type: "button", id: `export-der-${card.cardId}-${cert.slot}`,
          "aria-label": t("cert.exportLabel", { name, format: "DER" }), onclick: () => exportCert(card, cert, "der"),
        }, t("cert.exportDer")),
        h("a", {
          class: blocked ? "button primary" : "button", id: `forgot-${card.cardId}-${cert.slot}`,
          href: unlockUrl(card.reader, cert.slot), "aria-label": t("cert.forgotLabel", { name }),
        }, t("cert.forgot"))));
  }

  function renderReader(reader, index) {
    const card = reader.card;
    const headingId = `reader-${index}-h`;
    const body = [];
    if (!reader.cardPresent) {
      body.push(h("p", { class: "muted" }, t("certs.noCard")));
    } else if (!card) {
      body.push(h("p", { class: "notice error" }, reasonText(reader.cardError || "CARD_ERROR", getLang())));
    } else {
      const badge = pinBadge(card.pin);
      body.push(h("dl", { class: "facts card-facts" },
        card.serial !== undefined ? row(t("certs.cardSerial"), String(card.serial)) : null,
        row(t("pin.label"), h("span", { class: `badge ${badge.tone}` }, badge.text))));
      if (card.pin && card.pin.state === "blocked") {
        body.push(h("p", { class: "notice warn" }, t("pin.blockedHint")));
      }
      if (!card.certificates.length) body.push(h("p", { class: "muted" }, t("certs.noCerts")));
      card.certificates.forEach((cert, i) => body.push(renderCert(card, cert, `${index}-${i}`)));
    }
    return h("article", { class: "reader panel", "aria-labelledby": headingId },
      h("h2", { id: headingId }, t("certs.reader", { name: reader.name })), body);
  }

  function render() {
    const s = store.state;
    const readers = store.readers();
    let content;
    if (!s.loaded && !s.error) {
      content = h("p", { class: "progress", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("certs.loading"));
    } else if (s.error && !s.loaded) {
      content = h("p", { class: "notice error" }, reasonText(s.error, getLang()));
    } else if (!readers.length) {
      content = h("p", { class: "notice" }, t("certs.noReader"));
    } else {
      content = readers.map(renderReader);
    }
    replace(root, h("h1", { id: "certs-title" }, t("certs.title")), content);
  }

  store.subscribe((state, event) => {
    keepFocus(render);
    if (event.type === "card.inserted") announce(t("certs.inserted", { reader: event.reader }));
    if (event.type === "card.removed") announce(t("certs.removed", { reader: event.reader }));
  });
  return { render };
}
