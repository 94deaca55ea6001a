// New PIN + confirm PIN fields with the policy explained as the user types (修改密码 and the wizard's last
// step). Values live in the `values` object the caller owns, so a re-render or a step back loses nothing.
import { h } from "./dom.js";
import { t, getLang } from "./i18n.js";
import { pinChecklist, pinViolation } from "./rules.js";
import { PIN_POLICY_VIOLATIONS } from "./reasons.js";

/** A PIN input: password type, digits keyboard, never autofilled or remembered. */
export function pinInput(id, value, oninput, extra = {}) {
  return h("input", {
    id, name: id, type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 8, spellcheck: "false",
    value: value || "", oninput, class: "pin", ...extra,
  });
}

/**
 * The fields "新密码" and "确认新密码" with a live checklist. prefix: id prefix; values: {newPin, confirmPin}.
 * Returns {element, check()} — check() gives null when both are acceptable, else a message, and marks the
 * fields.
 */
export function newPinFields(prefix, values, { newLabel, confirmLabel, onChange } = {}) {
  const listId = `${prefix}-policy`;
  const errNew = `${prefix}-new-error`;
  const errConfirm = `${prefix}-confirm-error`;
  const list = h("ul", { id: listId, class: "checklist" });
  const newError = h("p", { id: errNew, class: "field-error", hidden: true });
  const confirmError = h("p", { id: errConfirm, class: "field-error", hidden: true });

  function updateList() {
    const items = pinChecklist(values.newPin || "", values.confirmPin || "");
    list.textContent = "";
    for (const item of items) {
      list.append(h("li", { class: item.met ? "met" : "unmet" },
        h("span", { class: "mark", "aria-hidden": "true" }, item.met ? "✓" : "•"),
        t(`policy.${item.rule}`),
        h("span", { class: "sr-only" }, `（${item.met ? t("policy.met") : t("policy.unmet")}）`)));
    }
  }

  const newInput = pinInput(`${prefix}-new`, values.newPin, (e) => {
    values.newPin = e.target.value;
    clearError(newInput, newError);
    updateList();
    if (onChange) onChange();
  }, { "aria-describedby": `${listId} ${errNew}`, required: true, autocomplete: "new-password" });
  const confirmInput = pinInput(`${prefix}-confirm`, values.confirmPin, (e) => {
    values.confirmPin = e.target.value;
    clearError(confirmInput, confirmError);
    updateList();
    if (onChange) onChange();
  }, { "aria-describedby": errConfirm, required: true, autocomplete: "new-password" });

  updateList();
  const element = h("div", { class: "pin-fields" },
    h("div", { class: "field" },
      h("label", { for: newInput.id }, newLabel || t("change.new"), h("span", { class: "req", "aria-hidden": "true" }, " *")),
      newInput, newError),
    h("div", { class: "policy", role: "group", "aria-label": t("policy.title") },
      h("p", { class: "policy-title" }, t("policy.title")), list),
    h("div", { class: "field" },
      h("label", { for: confirmInput.id }, confirmLabel || t("change.confirm"), h("span", { class: "req", "aria-hidden": "true" }, " *")),
      confirmInput, confirmError));

  function check() {
    const violation = pinViolation(values.newPin || "");
    if (violation) {
      const text = PIN_POLICY_VIOLATIONS[violation][getLang()];
      showError(newInput, newError, text);
      return { text, input: newInput };
    }
    if ((values.newPin || "") !== (values.confirmPin || "")) {
      const text = t("pin.mismatch");
      showError(confirmInput, confirmError, text);
      return { text, input: confirmInput };
    }
    return null;
  }

  return {
    element, check, newInput, confirmInput,
    /** Shows a server-side PIN_POLICY message at the new PIN. */
    showNewError(text) { showError(newInput, newError, text); },
  };
}

export function showError(input, errorEl, text) {
  input.setAttribute("aria-invalid", "true");
  errorEl.textContent = text;
  errorEl.hidden = false;
}

export function clearError(input, errorEl) {
  if (errorEl.hidden) return;
  input.removeAttribute("aria-invalid");
  errorEl.textContent = "";
  errorEl.hidden = true;
}
