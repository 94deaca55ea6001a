// 修改密码: current PIN, new PIN, confirm. A wrong PIN shows the tries left; with one try left the page
// says so and asks for an explicit confirmation, and only then sends "confirmLastTry": true in pin.change
// (the daemon refuses a PIN call at one try left without it, so a stray call never spends the last try).
import { h, replace, announce, focus } from "./dom.js";
import { t, getLang } from "./i18n.js";
import { reasonText } from "./reasons.js";
import { certName } from "./format.js";
import { newPinFields, pinInput, showError, clearError } from "./pinfields.js";
import { unlockUrl, pinBadge } from "./certs.js";
import { keepFocus } from "./shell.js";

export function createChangeView(root, { client, store }) {
  // Everything typed lives here (never in storage): a re-render or a card event keeps it.
  const values = { reader: "", oldPin: "", newPin: "", confirmPin: "", confirmLastTry: false };
  let busy = false;
  let result = null; // {tone, text, unlock?}

  function selectedCard() {
    const cards = store.cards();
    let card = cards.find((c) => c.reader === values.reader);
    if (!card && cards.length) { card = cards[0]; values.reader = card.reader; }
    return card || null;
  }

  async function submit(ev, fields, oldInput, oldError, lastTryBox, lastTryError) {
    ev.preventDefault();
    if (busy) return;
    const card = selectedCard();
    if (!card) return;
    result = null;
    if (!values.oldPin) {
      showError(oldInput, oldError, t("change.oldRequired"));
      focus(oldInput);
      return;
    }
    const problem = fields.check();
    if (problem) { focus(problem.input); return; }
    if (values.oldPin === values.newPin) {
      fields.showNewError(t("change.sameAsOld"));
      focus(fields.newInput);
      return;
    }
    const lastTry = card.pin && card.pin.state === "ok" && card.pin.retriesLeft === 1;
    if (lastTry && !values.confirmLastTry) {
      showError(lastTryBox, lastTryError, t("change.lastTryRequired"));
      focus(lastTryBox);
      return;
    }
    busy = true;
    render();
    announce(t("change.working"));
    try {
      await client.changePin({
        reader: card.reader, oldPin: values.oldPin, newPin: values.newPin, confirmLastTry: lastTry && values.confirmLastTry,
      });
      Object.assign(values, { oldPin: "", newPin: "", confirmPin: "", confirmLastTry: false });
      result = { tone: "ok", text: t("change.done") };
    } catch (error) {
      values.oldPin = "";
      values.confirmLastTry = false;
      result = { tone: "error", text: reasonText(error, getLang()), reason: error.reason };
      if (error.reason === "PIN_BLOCKED") result.unlock = card;
    }
    busy = false;
    await store.load(); // the daemon updated its PIN state; it sends no notification for that
    render();
    const target = document.getElementById(result.tone === "ok" ? "change-result" :
      (result.reason === "PIN_POLICY" ? "change-new" : result.reason === "PIN_INCORRECT" ? "change-old" : "change-result"));
    if (target && !target.disabled) focus(target);
    announce(result.text, result.tone !== "ok");
  }

  function render() {
    const cards = store.cards();
    const card = selectedCard();
    const parts = [h("h1", { id: "pin-title" }, t("change.title"))];
    if (!store.state.loaded) {
      parts.push(h("p", { class: "progress" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("certs.loading")));
      replace(root, parts);
      return;
    }
    if (!card) {
      parts.push(h("p", { class: "notice" }, t("change.noCard")));
      if (result) parts.push(resultBox());
      replace(root, parts);
      return;
    }
    const blocked = card.pin && card.pin.state === "blocked";
    if (blocked) {
      // Nothing to type: the only way on is 忘记密码.
      Object.assign(values, { oldPin: "", newPin: "", confirmPin: "", confirmLastTry: false });
      const badge = pinBadge(card.pin);
      parts.push(h("div", { class: "panel form" },
        h("p", { class: "muted" }, `${t("change.card")}：${card.certificates[0] ? certName(card.certificates[0]) : card.cardId}（${card.reader}）`),
        h("p", { id: "change-tries" }, `${t("pin.label")}：`, h("span", { class: `badge ${badge.tone}` }, badge.text)),
        h("div", { class: "notice error", id: "change-result", tabindex: "-1" }, t("change.blocked"), " ",
          h("a", { class: "button primary", href: unlockUrl(card.reader) }, t("cert.forgot")))));
      replace(root, parts);
      return;
    }
    const lastTry = card.pin && card.pin.state === "ok" && card.pin.retriesLeft === 1;
    const oldError = h("p", { id: "change-old-error", class: "field-error", hidden: true });
    const oldInput = pinInput("change-old", values.oldPin, (e) => { values.oldPin = e.target.value; clearError(oldInput, oldError); },
      { "aria-describedby": "change-tries change-old-error", required: true, autocomplete: "current-password", disabled: blocked || busy });
    const fields = newPinFields("change", values, {});
    if (blocked || busy) { fields.newInput.disabled = true; fields.confirmInput.disabled = true; }
    const lastTryError = h("p", { id: "change-lasttry-error", class: "field-error", hidden: true });
    const lastTryBox = h("input", {
      type: "checkbox", id: "change-lasttry", checked: values.confirmLastTry, "aria-describedby": "change-lasttry-warning change-lasttry-error",
      onchange: (e) => { values.confirmLastTry = e.target.checked; clearError(lastTryBox, lastTryError); },
    });
    const badge = pinBadge(card.pin);
    const form = h("form", {
      class: "panel form", novalidate: true, "aria-labelledby": "pin-title", "aria-busy": busy ? "true" : "false",
      onsubmit: (ev) => submit(ev, fields, oldInput, oldError, lastTryBox, lastTryError),
    },
      cards.length > 1
        ? h("div", { class: "field" },
          h("label", { for: "change-reader" }, t("change.card")),
          h("select", { id: "change-reader", onchange: (e) => { values.reader = e.target.value; result = null; render(); } },
            cards.map((c) => h("option", { value: c.reader, selected: c.reader === card.reader ? true : null },
              `${c.certificates[0] ? certName(c.certificates[0]) : c.cardId}（${c.reader}）`))))
        : h("p", { class: "muted" }, `${t("change.card")}：${card.certificates[0] ? certName(card.certificates[0]) : card.cardId}（${card.reader}）`),
      h("p", { id: "change-tries" }, `${t("pin.label")}：`, h("span", { class: `badge ${badge.tone}` }, badge.text)),
      blocked ? h("div", { class: "notice error" }, t("change.blocked"), " ",
        h("a", { class: "button primary", href: unlockUrl(card.reader) }, t("cert.forgot"))) : null,
      h("div", { class: "field" },
        h("label", { for: "change-old" }, t("change.old"), h("span", { class: "req", "aria-hidden": "true" }, " *")),
        oldInput, oldError),
      fields.element,
      lastTry && !blocked ? h("div", { class: "notice warn", id: "change-lasttry-warning" },
        h("p", null, t("change.lastTryWarning")),
        h("div", { class: "check" }, lastTryBox, h("label", { for: "change-lasttry" }, t("change.lastTryConfirm"))),
        lastTryError) : null,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary", id: "change-submit", disabled: blocked || busy },
          busy ? [h("span", { class: "spinner", "aria-hidden": "true" }), t("change.working")] : t("change.submit"))),
      result ? resultBox() : null);
    parts.push(form);
    replace(root, parts);
  }

  function resultBox() {
    return h("div", { id: "change-result", class: `notice ${result.tone === "ok" ? "ok" : "error"}`, tabindex: "-1" },
      result.text, result.unlock ? [" ", h("a", { class: "button primary", href: unlockUrl(result.unlock.reader) }, t("cert.forgot"))] : null);
  }

  store.subscribe((state, event) => { if (!busy && event.type !== "loading") keepFocus(render); });
  return { render };
}
