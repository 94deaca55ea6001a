// What every page of the bundled UI shares: the SDK client for this daemon, the header (navigation and
// the language switch), the connection banner, the footer with the service's version, re-rendering on a
// language change without losing focus.
import { CardBridge } from "../sdk/cardbridge.mjs";
import { h, replace, announce } from "./dom.js";
import { t, getLang, setLang, onLangChange } from "./i18n.js";
import { reasonText } from "./reasons.js";

/** The oldest daemon the wizard accepts (precondition "客户端版本"). */
export const MIN_DAEMON_VERSION = "0.1.0";

/** The SDK client for the daemon that served this page (same host and port: the page's CSP allows only it). */
export function createClient() {
  const port = Number(location.port) || (location.protocol === "http:" ? 80 : 443);
  // ws: only when a page is served over plain http (tests/web/support/mock-daemon.mjs); the daemon is https.
  const scheme = location.protocol === "http:" ? "ws" : "wss";
  return new CardBridge.Client({ host: location.hostname, ports: [port], scheme });
}

/** Runs fn (which rebuilds DOM) and puts focus and caret back on the element with the same id. */
export function keepFocus(fn) {
  const active = document.activeElement;
  const id = active && active.id;
  let start = null, end = null;
  try { start = active.selectionStart; end = active.selectionEnd; } catch (e) { /* not a text field */ }
  fn();
  if (!id) return;
  const again = document.getElementById(id);
  if (again && again !== document.activeElement) {
    again.focus({ preventScroll: true });
    try { if (start !== null) again.setSelectionRange(start, end); } catch (e) { /* not a text field */ }
  }
}

/**
 * Builds the header, banner and footer and connects. page: "certs" | "pin" | "unlock" | "form".
 * render(): the page's own renderer, called again after a language change. Returns the client.
 */
export function initShell({ page, render }) {
  const client = createClient();
  const header = document.getElementById("top");
  const banner = document.getElementById("conn");
  const footer = document.getElementById("foot");
  let connState = { kind: "connecting" };
  let countdown = null;

  function renderHeader() {
    if (!header) return;
    const current = typeof page === "function" ? page() : page;
    const link = (href, key, name) =>
      h("a", { href, "aria-current": current === name ? "page" : null, class: current === name ? "current" : null }, t(key));
    replace(header,
      h("a", { class: "skip", href: "#main" }, t("app.skip")),
      h("div", { class: "bar" },
        h("span", { class: "brand" }, t("app.title")),
        current === "form" ? null : h("nav", { "aria-label": t("nav.label") },
          link("./#certs", "nav.certs", "certs"), link("./#pin", "nav.pin", "pin"),
          link("unlock.html", "nav.unlock", "unlock")),
        h("button", {
          type: "button", class: "lang", id: "lang-switch", lang: getLang() === "zh" ? "en" : "zh-CN",
          "aria-label": t("lang.switchLabel"),
          onclick: () => setLang(getLang() === "zh" ? "en" : "zh"),
        }, t("lang.switch"))));
  }

  function renderBanner() {
    if (!banner) return;
    banner.className = "conn";
    if (connState.kind === "open") { replace(banner); banner.hidden = true; return; }
    banner.hidden = false;
    if (connState.kind === "connecting") {
      banner.classList.add("info");
      replace(banner, h("span", { class: "spinner", "aria-hidden": "true" }), t("conn.connecting"));
    } else if (connState.kind === "reconnecting") {
      banner.classList.add("warn");
      replace(banner, t("conn.lost", { seconds: connState.seconds }), " ",
        h("button", { type: "button", class: "link", onclick: () => client.connect().catch(() => {}) }, t("conn.retry")));
    } else {
      banner.classList.add("error");
      replace(banner, reasonText(connState.error, getLang()), " ",
        h("button", { type: "button", class: "link", onclick: () => { connState = { kind: "connecting" }; renderBanner(); client.connect().catch(() => {}); } }, t("conn.retry")));
    }
  }

  function renderFooter() {
    if (!footer) return;
    const hello = client.hello;
    replace(footer,
      hello ? t("footer.version", { version: hello.version, protocol: hello.protocol }) : "cardbridge",
      " · ", h("a", { href: "health" }, t("footer.health")));
  }

  client.on("connected", () => {
    const was = connState.kind;
    connState = { kind: "open" };
    renderBanner();
    renderFooter();
    if (was === "reconnecting" || was === "error") announce(t("conn.connected"));
  });
  client.on("reconnecting", ({ delay }) => {
    let seconds = Math.ceil(delay / 1000);
    connState = { kind: "reconnecting", seconds };
    renderBanner();
    clearInterval(countdown);
    countdown = setInterval(() => {
      if (connState.kind !== "reconnecting" || seconds <= 1) { clearInterval(countdown); return; }
      seconds -= 1;
      connState.seconds = seconds;
      renderBanner();
    }, 1000);
  });
  client.on("disconnected", () => announce(t("conn.lost", { seconds: "…" }), true));

  renderHeader();
  renderBanner();
  renderFooter();
  onLangChange(() => keepFocus(() => { renderHeader(); renderBanner(); renderFooter(); if (render) render(); }));

  client.connect().catch((error) => {
    if (client.state === "reconnecting") return;
    connState = { kind: "error", error };
    renderBanner();
  });
  return { client, renderHeader };
}
