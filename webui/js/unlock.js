// 忘记密码: the unlock wizard (docs/api.md §4.5), in the order of the platform's unlock guide.
//   unlock.html?flow=ID              continue a flow (a platform page opened its wizardUrl, or a return visit)
//   unlock.html?reader=R[&slot=S]    start from 我的证书 (preconditions first, then unlock.begin)
//   unlock.html                      pick the key first
// Everything typed lives in `ui` (memory only, never storage), so going back a step or a re-render loses
// nothing; PINs and codes go only to the daemon.
import { CardBridge } from "../sdk/cardbridge.mjs";
import { h, replace, announce, focus } from "./dom.js";
import { t, getLang } from "./i18n.js";
import { reasonText } from "./reasons.js";
import { initShell, keepFocus, MIN_DAEMON_VERSION } from "./shell.js";
import { createStore } from "./store.js";
import { ID_TYPES, FIELDS, validateHandler, checkOrganization, checkName, checkIdType, checkIdNumber, checkPhone } from "./rules.js";
import { certName, certState, dnAttribute, fmtDate, fmtDateTime, fmtSize } from "./format.js";
import { newPinFields, showError, clearError } from "./pinfields.js";

const KINDS = CardBridge.ATTACHMENT_KINDS;
const root = document.getElementById("wizard");
const params = new URLSearchParams(location.search);

const ui = {
  view: "loading",
  reader: params.get("reader") || "",
  slot: params.get("slot") || "",
  flow: null,
  handler: { organization: "", name: "", idType: ID_TYPES[0].name, idNumber: "", phone: "" },
  handlerErrors: {},
  submittedHandler: null,
  code: "",
  pins: { newPin: "", confirmPin: "" },
  cooldownUntil: 0,
  codeSentTo: null,
  uploads: Object.fromEntries(KINDS.map((k) => [k, { state: "none" }])),
  busy: null,
  error: null,
  preError: null,
};

const { client } = initShell({ page: "unlock", render: () => render() });
const store = createStore(client);

// ---- helpers ----

function setUrl(flowId) {
  history.replaceState(null, "", flowId ? `unlock.html?flow=${encodeURIComponent(flowId)}` : "unlock.html");
}

const VIEW_OF_STEP = {
  identify: "identify", sms: "sms", attachments: "attachments", in_review: "in_review", approved: "approved",
  rejected: "rejected", withdrawn: "withdrawn", expired: "expired", done: "done", ended: "ended",
};

/** Adopts a flow object from the daemon and shows its step. */
function setFlow(flow, { moveFocus = true } = {}) {
  const changed = !ui.flow || ui.flow.flowId !== flow.flowId || ui.flow.step !== flow.step;
  ui.flow = flow;
  ui.reader = flow.reader;
  ui.slot = flow.certificate && flow.certificate.slot;
  for (const a of flow.attachments || []) {
    const u = ui.uploads[a.kind];
    if (u && u.state !== "done") ui.uploads[a.kind] = { state: "done", size: a.size, contentType: a.contentType };
  }
  if (!ui.handler.organization && flow.certificate) ui.handler.organization = dnAttribute(flow.certificate.subject, "O");
  setUrl(flow.flowId);
  if (changed) show(VIEW_OF_STEP[flow.step] || "error", moveFocus);
  else render();
}

function show(view, moveFocus = true) {
  ui.view = view;
  ui.error = null;
  render();
  if (moveFocus) focus(document.getElementById("step-title"));
}

/** Runs a slow call: busy state and progress text, errors into ui.error; resolves the result or null. */
async function run(busyKey, fn) {
  ui.busy = busyKey;
  ui.error = null;
  render();
  announce(t(busyKey));
  try {
    return await fn();
  } catch (error) {
    ui.error = error;
    return null;
  } finally {
    ui.busy = null;
    keepFocus(render);
    if (ui.error) {
      announce(reasonText(ui.error, getLang()), true);
    }
  }
}

function cardFor(reader) {
  return store.cards().find((c) => c.reader === reader) || null;
}

function certOf(card, slot) {
  if (!card) return null;
  return card.certificates.find((c) => c.slot === slot) || card.certificates.find((c) => c.slot === "9a") || card.certificates[0] || null;
}

function versionOk() {
  return !client.hello || CardBridge.compareVersions(client.hello.version, MIN_DAEMON_VERSION) >= 0;
}

// ---- starting and restarting ----

async function begin() {
  const flow = await run("pre.starting", () => client.beginUnlock({ reader: ui.reader, slot: ui.slot || undefined }));
  if (flow) {
    ui.submittedHandler = null;
    setFlow(flow);
    return flow;
  }
  if (ui.error && (ui.error.reason === "CERT_EXPIRED" || ui.error.reason === "CERT_NOT_YET_VALID")) {
    ui.preError = ui.error;
    ui.error = null;
    show("pre");
  }
  return null;
}

/** A new flow for the same key and certificate; typed values stay. */
async function restart() {
  ui.uploads = Object.fromEntries(KINDS.map((k) => [k, { state: "none" }]));
  ui.code = "";
  ui.cooldownUntil = 0;
  ui.codeSentTo = null;
  if (ui.flow) { ui.reader = ui.flow.reader; ui.slot = ui.flow.certificate && ui.flow.certificate.slot; }
  ui.flow = null;
  setUrl(null);
  if (!ui.reader) { show("pick"); return; }
  await begin();
}

// ---- steps indicator ----

function stepList() {
  const route = ui.flow && ui.flow.route;
  const sms = route === "sms" || ui.view === "sms";
  const review = route === "review" || ["attachments", "in_review", "rejected", "withdrawn"].includes(ui.view);
  const steps = [["pre", "wizard.step.pre"], ["identify", "wizard.step.identify"]];
  if (sms) steps.push(["sms", "sms.title"]);
  else if (review) steps.push(["attachments", "review.title"], ["in_review", "inreview.title"], ["approved", "wizard.step.pin"]);
  else steps.push(["verify", "wizard.step.verify"], ["approved", "wizard.step.pin"]);
  steps.push(["done", "wizard.step.done"]);
  const index = { pick: 0, pre: 0, identify: 1, sms: 2, attachments: 2, verify: 2, in_review: 3, rejected: 3, withdrawn: 2,
    approved: sms ? 2 : review ? 4 : 3, expired: review ? 4 : 3, done: steps.length - 1, ended: 1, error: 0, loading: 0 }[ui.view] ?? 0;
  return h("ol", { class: "steps", "aria-label": t("wizard.steps") },
    steps.map(([, key], i) => h("li", {
      class: i < index || (ui.view === "done" && i === index) ? "done" : i === index ? "current" : null,
      "aria-current": i === index ? "step" : null,
    }, t(key), h("span", { class: "sr-only" }, i === index ? t("wizard.current") : i < index ? t("wizard.completed") : ""))));
}

// ---- views ----

function errorBox() {
  if (!ui.error) return null;
  const extra = [];
  if (ui.error.reason === "FLOW_NOT_FOUND" || ui.error.reason === "CARD_CHANGED" || ui.error.reason === "REQUEST_NOT_FOUND") {
    extra.push(" ", h("button", { type: "button", class: "link", onclick: restart }, t("wizard.restart")));
  }
  const missing = ui.error.reason === "ATTACHMENTS_MISSING" && Array.isArray(ui.error.data.missing) ? ui.error.data.missing : [];
  if (missing.length) {
    const list = missing.map((k) => t(`review.kind.${k}`)).join(getLang() === "zh" ? "、" : "; ");
    extra.push(" ", t("review.missing", { list }));
  }
  return h("div", { class: "notice error", id: "wizard-error", tabindex: "-1" }, reasonText(ui.error, getLang()), extra);
}

function busyLabel(key, idle) {
  return ui.busy === key ? [h("span", { class: "spinner", "aria-hidden": "true" }), t(key)] : idle;
}

function title(key, vars) {
  return h("h2", { id: "step-title", tabindex: "-1" }, t(key, vars));
}

function viewLoading() {
  return [h("p", { class: "progress", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("wizard.loading")), errorBox()];
}

function viewPick() {
  const cards = store.cards();
  const list = cards.length
    ? h("ul", { class: "checks" }, cards.map((card) => {
      const cert = certOf(card, "");
      return h("li", null, h("strong", null, cert ? certName(cert) : card.cardId),
        h("span", { class: "muted" }, `${card.reader}${cert && cert.subject ? ` · ${cert.subject.o || ""}` : ""}`), " ",
        h("button", { type: "button", class: "primary", id: `pick-${card.cardId}`,
          onclick: () => { ui.reader = card.reader; ui.slot = cert ? cert.slot : ""; ui.preError = null; show("pre"); } },
        t("wizard.pickThis")));
    }))
    : h("p", { class: "notice" }, store.state.loaded ? t("wizard.pickNone") : t("certs.loading"));
  return [title("wizard.pick"), list];
}

function viewPre() {
  const card = cardFor(ui.reader);
  const flowCert = ui.flow && ui.flow.certificate;
  const cert = certOf(card, ui.slot);
  const notAfter = (cert && cert.notAfter) || (flowCert && flowCert.notAfter);
  const notBefore = (cert && cert.notBefore) || (flowCert && flowCert.notBefore);
  let validity = "pass";
  if (ui.preError && ui.preError.reason === "CERT_EXPIRED") validity = "expired";
  else if (ui.preError && ui.preError.reason === "CERT_NOT_YET_VALID") validity = "notYet";
  else if (cert) {
    const s = certState(cert).key;
    if (s === "expired") validity = "expired";
    if (s === "notYetValid") validity = "notYet";
  }
  const version = client.hello ? client.hello.version : "?";
  const vOk = versionOk();
  const items = [
    h("li", { class: validity === "pass" ? "pass" : "fail" },
      h("strong", null, t("pre.validity")),
      validity === "pass" ? t("pre.validityOk", { date: fmtDate(notAfter) })
        : validity === "expired" ? [t("pre.expired", { date: fmtDate((ui.preError && ui.preError.data.notAfter) || notAfter) }), " ", t("pre.offline"),
          offlineUrl() ? [" ", h("a", { href: offlineUrl(), target: "_blank", rel: "noopener noreferrer" }, t("pre.offlineLink"))] : null]
          : t("pre.notYetValid", { date: fmtDate((ui.preError && ui.preError.data.notBefore) || notBefore) })),
    h("li", { class: vOk ? "pass" : "fail" },
      h("strong", null, t("pre.version", { min: MIN_DAEMON_VERSION })),
      vOk ? t("pre.versionOk", { version }) : t("pre.versionOld", { version })),
  ];
  const name = cert ? certName(cert) : flowCert ? dnAttribute(flowCert.subject, "CN") : "";
  const org = cert && cert.subject ? cert.subject.o : flowCert ? dnAttribute(flowCert.subject, "O") : "";
  const pin = (card && card.pin) || (ui.flow && ui.flow.pin);
  const canStart = validity === "pass" && vOk && (card || ui.flow);
  return [
    title("pre.title"),
    h("dl", { class: "summary" },
      h("dt", null, t("pre.card")), h("dd", null, `${name}${org ? ` · ${org}` : ""}（${ui.reader || (ui.flow && ui.flow.reader) || "—"}）`),
      h("dt", null, t("cert.serial")), h("dd", null, h("code", null, (cert && cert.serialNumber) || (flowCert && flowCert.serialNumber) || "—"))),
    h("p", null, t("pre.intro")),
    h("ul", { class: "checks" }, items),
    !card && !ui.flow ? h("p", { class: "notice warn" }, t("wizard.pickNone")) : null,
    pin && pin.state !== "blocked" && validity === "pass" ? h("p", { class: "notice" }, t("pre.notBlocked")) : null,
    errorBox(),
    h("div", { class: "actions" },
      h("a", { class: "button", href: "./#certs" }, t("wizard.back")),
      ui.flow
        ? h("button", { type: "button", class: "primary", id: "pre-next", onclick: () => show(VIEW_OF_STEP[ui.flow.step] === "identify" || ui.submittedHandler ? "identify" : VIEW_OF_STEP[ui.flow.step]) }, t("wizard.next"))
        : h("button", { type: "button", class: "primary", id: "pre-start", disabled: !canStart || !!ui.busy, onclick: begin },
          busyLabel("pre.starting", t("pre.start")))),
  ];
}

// 经办人信息

const FIELD_CHECK = {
  organization: (v) => checkOrganization(v),
  name: (v) => checkName(v),
  idType: (v) => checkIdType(v),
  idNumber: (v) => checkIdNumber(ui.handler.idType, v),
  phone: (v) => checkPhone(v),
};

function fieldMessage(field, problem) {
  const specific = `field.${field}.${problem}.${ui.handler.idType}`;
  const key = t(specific) !== specific ? specific : `field.${field}.${problem}`;
  return t(key) !== key ? t(key) : t("field.generic");
}

function setFieldError(field, problem) {
  if (problem) ui.handlerErrors[field] = problem;
  else delete ui.handlerErrors[field];
  const input = document.getElementById(`h-${field}`);
  const error = document.getElementById(`h-${field}-error`);
  if (!input || !error) return;
  if (problem) showError(input, error, fieldMessage(field, problem));
  else clearError(input, error);
}

/** The platform's offline-procedure page the daemon sent with CERT_EXPIRED (authority.offlineUrl), if any. */
function offlineUrl() {
  const url = ui.preError && ui.preError.data && ui.preError.data.offlineUrl;
  return typeof url === "string" && url.startsWith("https://") ? url : null;
}

function handlerField(field, labelKey, control, hintKey) {
  const problem = ui.handlerErrors[field];
  const describedBy = [hintKey ? `h-${field}-hint` : null, `h-${field}-error`].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", describedBy);
  if (problem) control.setAttribute("aria-invalid", "true");
  return h("div", { class: "field" },
    h("label", { for: `h-${field}` }, t(labelKey), h("span", { class: "req" }, " *"), h("span", { class: "sr-only" }, `（${t("id.required")}）`)),
    control,
    hintKey ? h("p", { class: "hint", id: `h-${field}-hint` }, t(hintKey)) : null,
    h("p", { class: "field-error", id: `h-${field}-error`, hidden: !problem }, problem ? fieldMessage(field, problem) : ""));
}

function textInput(field, extra = {}) {
  return h("input", {
    type: "text", id: `h-${field}`, name: field, value: ui.handler[field], required: true, ...extra,
    oninput: (e) => {
      ui.handler[field] = e.target.value;
      // A field already marked wrong is re-checked as the user fixes it.
      if (ui.handlerErrors[field]) setFieldError(field, FIELD_CHECK[field](e.target.value).problem);
    },
    onblur: (e) => { if (e.target.value) setFieldError(field, FIELD_CHECK[field](e.target.value).problem); },
  });
}

function sameHandler(a, b) {
  return !!a && !!b && FIELDS.every((f) => a[f] === b[f]);
}

async function submitHandler(ev) {
  ev.preventDefault();
  if (ui.busy) return;
  const result = validateHandler(ui.handler);
  for (const f of FIELDS) setFieldError(f, result.errors[f] || null);
  if (!result.ok) {
    const first = FIELDS.find((f) => result.errors[f]);
    announce(t("id.fixErrors", { n: Object.keys(result.errors).length }), true);
    focus(document.getElementById(`h-${first}`));
    return;
  }
  // Came back from a later step: unchanged details go forward; changed ones start a new request.
  if (ui.flow && ui.flow.step !== "identify") {
    if (sameHandler(result.form, ui.submittedHandler)) { show(VIEW_OF_STEP[ui.flow.step]); return; }
    announce(t("id.changedRestart"));
    if (ui.flow.step === "attachments") await client.withdraw(ui.flow.flowId).catch(() => null);
    const flowBefore = ui.flow;
    const fresh = await run("id.working", () => client.beginUnlock({ reader: flowBefore.reader, slot: flowBefore.certificate.slot }));
    if (!fresh) return;
    ui.flow = fresh;
    ui.uploads = Object.fromEntries(KINDS.map((k) => [k, { state: "none" }]));
    ui.cooldownUntil = 0;
    setUrl(fresh.flowId);
    if (fresh.step !== "identify") { setFlow(fresh); return; }
  }
  const flow = await run("id.working", () => client.identify(ui.flow.flowId, result.form));
  if (flow) {
    ui.submittedHandler = result.form;
    setFlow(flow);
    return;
  }
  if (ui.error && ui.error.reason === "FORM_INVALID" && Array.isArray(ui.error.data.fields)) {
    for (const { field, problem } of ui.error.data.fields) setFieldError(String(field).replace(/^handler\./, ""), problem);
    const first = FIELDS.find((f) => ui.handlerErrors[f]);
    if (first) focus(document.getElementById(`h-${first}`));
  } else {
    focus(document.getElementById("wizard-error"));
  }
}

function viewIdentify() {
  const select = h("select", {
    id: "h-idType", name: "idType", required: true,
    onchange: (e) => {
      ui.handler.idType = e.target.value;
      setFieldError("idType", null);
      if (ui.handler.idNumber) setFieldError("idNumber", checkIdNumber(ui.handler.idType, ui.handler.idNumber).problem);
    },
  }, ID_TYPES.map((type) => h("option", { value: type.name, selected: ui.handler.idType === type.name ? true : null },
    getLang() === "zh" ? type.name : `${type.name} · ${type.en}`)));
  const editingLater = ui.flow && ui.flow.step !== "identify";
  return [
    title("id.title"),
    h("p", { class: "muted" }, t("id.intro")),
    editingLater ? h("p", { class: "notice warn" }, t("id.editLater")) : null,
    errorBox(),
    h("form", { class: "form", novalidate: true, "aria-labelledby": "step-title", "aria-busy": ui.busy ? "true" : "false", onsubmit: submitHandler },
      handlerField("organization", "id.organization", textInput("organization", { autocomplete: "organization", maxlength: 200 })),
      h("div", { class: "grid2" },
        handlerField("name", "id.name", textInput("name", { autocomplete: "name", placeholder: t("id.namePlaceholder"), maxlength: 100 })),
        handlerField("idType", "id.idType", select)),
      h("div", { class: "grid2" },
        handlerField("idNumber", "id.idNumber", textInput("idNumber", { autocomplete: "off", spellcheck: "false", maxlength: 40 })),
        handlerField("phone", "id.phone", textInput("phone", { type: "tel", autocomplete: "tel", inputmode: "tel", maxlength: 20 }), "id.phoneHint")),
      h("div", { class: "actions" },
        h("button", { type: "button", id: "id-back", onclick: () => show("pre") }, t("wizard.back")),
        h("button", { type: "submit", class: "primary", id: "id-next", disabled: !!ui.busy }, busyLabel("id.working", t("wizard.next"))))),
  ];
}

// SMS route

let cooldownTimer = null;
function cooldownLeft() {
  return Math.max(0, Math.ceil((ui.cooldownUntil - Date.now()) / 1000));
}
function sendButtonLabel() {
  if (ui.busy === "sms.sending") return t("sms.sending");
  const left = cooldownLeft();
  if (left > 0) return t("sms.resend", { s: left });
  return ui.codeSentTo ? t("sms.resendNow") : t("sms.send");
}
function startCooldown(seconds) {
  ui.cooldownUntil = Date.now() + seconds * 1000;
  clearInterval(cooldownTimer);
  cooldownTimer = setInterval(() => {
    const button = document.getElementById("sms-send");
    if (button) {
      button.textContent = sendButtonLabel();
      button.disabled = cooldownLeft() > 0 || !!ui.busy;
    }
    if (cooldownLeft() === 0) clearInterval(cooldownTimer);
  }, 1000);
}

async function sendCode() {
  if (cooldownLeft() > 0 || ui.busy) return;
  const result = await run("sms.sending", () => client.sendCode(ui.flow.flowId));
  if (result) {
    ui.codeSentTo = result.maskedPhone || ui.flow.maskedPhone;
    startCooldown(result.resendAfterSeconds || 60);
    keepFocus(render);
    announce(t("sms.sent", { phone: ui.codeSentTo }));
    focus(document.getElementById("sms-code"));
  } else if (ui.error && ui.error.reason === "CODE_COOLDOWN" && ui.error.data.retryAfter) {
    startCooldown(Number(ui.error.data.retryAfter));
    keepFocus(render);
  }
}

async function submitSms(ev, fields) {
  ev.preventDefault();
  if (ui.busy) return;
  const codeInput = document.getElementById("sms-code");
  const codeError = document.getElementById("sms-code-error");
  if (!/^\d{6}$/.test(ui.code.trim())) {
    showError(codeInput, codeError, t("sms.codeRequired"));
    focus(codeInput);
    return;
  }
  const problem = fields.check();
  if (problem) { focus(problem.input); return; }
  const flow = await run("sms.working", () => client.resetWithCode(ui.flow.flowId, ui.code.trim(), ui.pins.newPin));
  if (flow) { ui.code = ""; setFlow(flow); return; }
  await afterResetError("sms");
}

/** After a failed reset: show the error at the right field, or follow the flow if its step moved on. */
async function afterResetError(prefix) {
  const error = ui.error;
  const reason = error && error.reason;
  if (reason === "PIN_POLICY") {
    const input = document.getElementById(`${prefix}-new`);
    if (input) {
      showError(input, document.getElementById(`${prefix}-new-error`), reasonText(error, getLang()));
      focus(input);
    }
    return;
  }
  if (prefix === "sms" && /^CODE_/.test(reason || "")) {
    ui.code = "";
    keepFocus(render);
    const input = document.getElementById("sms-code");
    showError(input, document.getElementById("sms-code-error"), reasonText(error, getLang()));
    focus(input);
    return;
  }
  // Card pulled, authority lost, …: the flow may have moved (e.g. code verified → approved). Ask.
  const flow = await client.unlockStatus(ui.flow.flowId).catch(() => null);
  if (flow && flow.step !== ui.flow.step) {
    setFlow(flow);
    ui.error = error;
    keepFocus(render);
  }
  focus(document.getElementById("wizard-error"));
}

function viewSms() {
  const fields = newPinFields("sms", ui.pins, {});
  const codeInput = h("input", {
    type: "text", id: "sms-code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, value: ui.code,
    "aria-describedby": "sms-code-hint sms-code-error", required: true,
    oninput: (e) => { ui.code = e.target.value; clearError(codeInput, document.getElementById("sms-code-error")); },
  });
  const phone = ui.codeSentTo || ui.flow.maskedPhone || "";
  return [
    title("sms.title"),
    h("p", null, t("sms.intro", { phone })),
    ui.codeSentTo ? h("p", { class: "notice ok" }, t("sms.sent", { phone: ui.codeSentTo })) : null,
    errorBox(),
    h("form", { class: "form", novalidate: true, "aria-labelledby": "step-title", "aria-busy": ui.busy ? "true" : "false", onsubmit: (ev) => submitSms(ev, fields) },
      h("div", { class: "field" },
        h("label", { for: "sms-code" }, t("sms.code"), h("span", { class: "req", "aria-hidden": "true" }, " *")),
        h("div", { class: "inline" }, codeInput,
          h("button", { type: "button", id: "sms-send", disabled: cooldownLeft() > 0 || !!ui.busy, onclick: sendCode }, sendButtonLabel())),
        h("p", { class: "hint", id: "sms-code-hint" }, t("sms.codeHint")),
        h("p", { class: "field-error", id: "sms-code-error", hidden: true })),
      fields.element,
      h("div", { class: "actions" },
        ui.submittedHandler ? h("button", { type: "button", id: "sms-back", onclick: () => show("identify") }, t("wizard.back")) : null,
        h("button", { type: "submit", class: "primary", id: "sms-next", disabled: !!ui.busy }, busyLabel("sms.working", t("wizard.next"))))),
  ];
}

// review route: attachments

async function pickFile(kind, file) {
  if (!file) return;
  const label = t(`review.kind.${kind}`);
  ui.uploads[kind] = { state: "checking", fileName: file.name, size: file.size };
  keepFocus(render);
  let checked;
  try {
    checked = await CardBridge.checkAttachment(file);
  } catch (error) {
    ui.uploads[kind] = { state: "failed", fileName: file.name, size: file.size, error };
    keepFocus(render);
    announce(`${label}：${reasonText(error, getLang())}`, true);
    return;
  }
  const preview = checked.contentType.startsWith("image/") ? await readDataUrl(file) : null;
  ui.uploads[kind] = { state: "uploading", fileName: file.name, size: file.size, contentType: checked.contentType, preview, percent: 0 };
  keepFocus(render);
  announce(t("review.status.uploading", { percent: 0 }));
  try {
    const answer = await client.uploadAttachment(ui.flow.flowId, kind, file, (p) => {
      const percent = Math.round(p.fraction * 100);
      ui.uploads[kind].percent = percent;
      const bar = document.getElementById(`up-${kind}-progress`);
      const text = document.getElementById(`up-${kind}-state`);
      if (bar) bar.value = percent;
      if (text) text.textContent = t("review.status.uploading", { percent });
    });
    ui.uploads[kind] = { ...ui.uploads[kind], state: "done", size: answer.size, contentType: answer.contentType, percent: 100 };
    if (ui.error && ui.error.reason === "ATTACHMENTS_MISSING") {
      const still = KINDS.filter((k) => ui.uploads[k].state !== "done");
      ui.error = still.length ? { reason: "ATTACHMENTS_MISSING", data: { missing: still } } : null;
    }
    announce(t("review.uploaded", { kind: label }));
  } catch (error) {
    ui.uploads[kind] = { ...ui.uploads[kind], state: "failed", error };
    announce(`${label}：${reasonText(error, getLang())}`, true);
    if (error.reason === "WRONG_STATE" || error.reason === "FLOW_NOT_FOUND") {
      const flow = await client.unlockStatus(ui.flow.flowId).catch(() => null);
      if (flow) setFlow(flow);
    }
  }
  keepFocus(render);
}

function readDataUrl(file) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(file);
  });
}

function uploadRow(kind) {
  const u = ui.uploads[kind];
  const label = t(`review.kind.${kind}`);
  const input = h("input", {
    type: "file", id: `up-${kind}-file`, accept: ".jpg,.jpeg,.png,.gif,.bmp,.pdf,image/jpeg,image/png,image/gif,image/bmp,application/pdf",
    "aria-describedby": `up-${kind}-state review-limits`,
    disabled: u.state === "uploading" || u.state === "checking" || !!ui.busy,
    onchange: (e) => { const f = e.target.files && e.target.files[0]; e.target.value = ""; pickFile(kind, f); },
  });
  let stateText;
  if (u.state === "none") stateText = t("review.status.none");
  else if (u.state === "checking") stateText = t("review.status.checking");
  else if (u.state === "uploading") stateText = t("review.status.uploading", { percent: u.percent || 0 });
  else if (u.state === "done") stateText = t("review.status.done");
  else stateText = `${t("review.status.failed")}：${reasonText(u.error, getLang())}`;
  const info = u.fileName ? t("review.fileInfo", { name: u.fileName, size: fmtSize(u.size) }) : u.size ? fmtSize(u.size) : "";
  const preview = u.preview
    ? h("img", { class: "preview", src: u.preview, alt: t("review.preview", { kind: label }) })
    : u.contentType === "application/pdf" ? h("span", { class: "docicon" }, t("review.pdf")) : null;
  const row = h("li", { class: `upload${u.state === "done" ? " has-file" : ""}`, id: `up-${kind}` },
    h("div", null,
      h("div", { class: "name" }, label, h("span", { class: "req", "aria-hidden": "true" }, " *")),
      h("div", { class: `state ${u.state === "failed" ? "field-error" : u.state === "done" ? "ok-text" : "muted"}`, id: `up-${kind}-state` }, stateText),
      info ? h("div", { class: "muted" }, info) : null,
      u.state === "uploading" ? h("progress", { id: `up-${kind}-progress`, max: 100, value: u.percent || 0, "aria-label": label }) : null),
    h("div", { class: "controls" },
      preview,
      h("label", { class: "button file-label" + (u.state === "done" ? "" : " primary"), for: `up-${kind}-file` },
        input, u.state === "done" || u.state === "failed" ? t("review.replace") : t("review.add"),
        h("span", { class: "sr-only" }, `：${label}`))),
    h("div", { class: "drop-hint", "aria-hidden": "true" }, t("review.drop")));
  row.addEventListener("dragover", (e) => { e.preventDefault(); row.classList.add("drag"); });
  row.addEventListener("dragleave", () => row.classList.remove("drag"));
  row.addEventListener("drop", (e) => {
    e.preventDefault();
    row.classList.remove("drag");
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f && u.state !== "uploading") pickFile(kind, f);
  });
  return row;
}

async function submitReview() {
  if (ui.busy) return;
  const missing = KINDS.filter((k) => ui.uploads[k].state !== "done");
  if (missing.length) {
    ui.error = { reason: "ATTACHMENTS_MISSING", data: { missing } };
    keepFocus(render);
    const box = document.getElementById("wizard-error");
    announce(box ? box.textContent : "", true);
    focus(document.getElementById(`up-${missing[0]}-file`));
    return;
  }
  const flow = await run("review.submitting", () => client.submit(ui.flow.flowId));
  if (flow) setFlow(flow);
  else focus(document.getElementById("wizard-error"));
}

async function withdraw() {
  if (ui.busy) return;
  if (!window.confirm(t("review.withdrawConfirm"))) return;
  const flow = await run("review.withdrawing", () => client.withdraw(ui.flow.flowId));
  if (flow) setFlow(flow);
}

function viewAttachments() {
  const flowId = ui.flow.flowId;
  return [
    title("review.title"),
    h("p", null, t("review.intro")),
    ui.flow.requestId ? h("p", { class: "muted" }, t("review.request", { id: ui.flow.requestId })) : null,
    h("div", { class: "actions" },
      h("a", { class: "button", id: "export-form", href: `form.html?flow=${encodeURIComponent(flowId)}`, target: "_blank", rel: "noopener" }, t("review.exportForm")),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "danger", id: "withdraw", onclick: withdraw, disabled: !!ui.busy }, busyLabel("review.withdrawing", t("review.withdraw")))),
    h("h3", { class: "notes-title" }, t("review.notes")),
    h("ol", { class: "notes" }, h("li", null, t("review.note1")), h("li", null, t("review.note2")), h("li", null, t("review.note3"))),
    h("ul", { class: "uploads", "aria-label": t("review.title") }, KINDS.map(uploadRow)),
    h("p", { class: "hint", id: "review-limits" }, t("review.limits")),
    errorBox(),
    h("div", { class: "actions" },
      ui.submittedHandler ? h("button", { type: "button", id: "review-back", onclick: () => show("identify") }, t("wizard.back")) : null,
      h("button", { type: "button", class: "primary", id: "review-submit", onclick: submitReview, disabled: !!ui.busy }, busyLabel("review.submitting", t("review.submit")))),
  ];
}

async function refreshStatus(quiet) {
  const flow = quiet ? await client.unlockStatus(ui.flow.flowId).catch(() => null)
    : await run("inreview.refreshing", () => client.unlockStatus(ui.flow.flowId));
  if (!flow) return;
  if (flow.step !== ui.flow.step) {
    announce(t("status.changed", { step: t(stepTitleKey(flow.step)) }));
    setFlow(flow);
  } else {
    ui.flow = flow;
    keepFocus(render);
    if (!quiet) announce(t("inreview.still"));
  }
}

function stepTitleKey(step) {
  return { in_review: "inreview.title", approved: "approved.title", rejected: "rejected.title", withdrawn: "withdrawn.title",
    expired: "expired.title", done: "done.title", ended: "ended.title", attachments: "review.title", sms: "sms.title", identify: "id.title" }[step] || "wizard.title";
}

function viewInReview() {
  const f = ui.flow;
  return [
    title("inreview.title"),
    ui.flow.requestId ? h("p", { class: "muted" }, t("review.request", { id: f.requestId })) : null,
    h("p", { class: "notice" }, t("inreview.text", { date: fmtDate(f.dueDate) }), f.dueIsEstimate ? t("inreview.estimate") : null),
    h("p", null, t("inreview.wait")),
    errorBox(),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", id: "refresh", onclick: () => refreshStatus(false), disabled: !!ui.busy }, busyLabel("inreview.refreshing", t("inreview.refresh"))),
      h("button", { type: "button", class: "danger", id: "withdraw", onclick: withdraw, disabled: !!ui.busy }, busyLabel("review.withdrawing", t("review.withdraw")))),
  ];
}

async function submitApproved(ev, fields) {
  ev.preventDefault();
  if (ui.busy) return;
  const problem = fields.check();
  if (problem) { focus(problem.input); return; }
  const flow = await run("approved.working", () => client.resetApproved(ui.flow.flowId, ui.pins.newPin));
  if (flow) { setFlow(flow); return; }
  if (ui.error && ui.error.reason === "APPROVAL_EXPIRED") { await refreshStatus(true); return; }
  await afterResetError("approved");
}

function viewApproved() {
  const fields = newPinFields("approved", ui.pins, {});
  const f = ui.flow;
  return [
    title("approved.title"),
    h("p", { class: "notice ok" }, f.route === "sms" || !f.authorisedUntil ? t("approved.textSms") : t("approved.text", { date: fmtDateTime(f.authorisedUntil) })),
    errorBox(),
    h("form", { class: "form", novalidate: true, "aria-labelledby": "step-title", "aria-busy": ui.busy ? "true" : "false", onsubmit: (ev) => submitApproved(ev, fields) },
      fields.element,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary", id: "approved-next", disabled: !!ui.busy }, busyLabel("approved.working", t("approved.submit"))))),
  ];
}

function viewEnd(key, text, { again = "wizard.restart", tone = "warn" } = {}) {
  return [
    title(key),
    h("p", { class: `notice ${tone}` }, text),
    errorBox(),
    h("div", { class: "actions" },
      again ? h("button", { type: "button", class: "primary", id: "again", onclick: restart, disabled: !!ui.busy }, busyLabel("pre.starting", t(again))) : null,
      h("a", { class: "button", href: "./#certs" }, t("wizard.toCerts"))),
  ];
}

function viewDone() {
  ui.pins.newPin = "";
  ui.pins.confirmPin = "";
  return [
    title("done.title"),
    h("p", { class: "notice ok" }, t("done.text")),
    ui.flow.pinFromEarlierAttempt ? h("p", { class: "notice warn" }, t("done.earlier")) : null,
    h("div", { class: "actions" }, h("a", { class: "button primary", href: "./#certs", id: "to-certs" }, t("wizard.toCerts"))),
  ];
}

function render() {
  let body;
  switch (ui.view) {
    case "pick": body = viewPick(); break;
    case "pre": body = viewPre(); break;
    case "identify": body = viewIdentify(); break;
    case "sms": body = viewSms(); break;
    case "attachments": body = viewAttachments(); break;
    case "in_review": body = viewInReview(); break;
    case "approved": body = viewApproved(); break;
    case "done": body = viewDone(); break;
    case "rejected": body = viewEnd("rejected.title", t("rejected.text", { reason: ui.flow.rejectReason || "—" }), { again: "rejected.again", tone: "error" }); break;
    case "withdrawn": body = viewEnd("withdrawn.title", t("withdrawn.text")); break;
    case "expired": body = viewEnd("expired.title", reasonText("APPROVAL_EXPIRED", getLang())); break;
    case "ended": body = viewEnd("ended.title", reasonText("CARD_CHANGED", getLang())); break;
    case "error": body = [title("common.error"), errorBox(), h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: restart }, t("wizard.restart")),
      h("a", { class: "button", href: "./#certs" }, t("wizard.toCerts")))]; break;
    default: body = viewLoading();
  }
  replace(root, h("h1", null, t("wizard.title")), stepList(), h("section", { class: "panel", "aria-labelledby": "step-title" }, body));
  document.title = `${t("wizard.title")} · cardbridge`;
}

// ---- start ----

client.on("connected", async () => {
  if (ui.flow || ui.view !== "loading") {
    if (ui.flow) refreshStatus(true); // missed notifications while away
    return;
  }
  const flowId = params.get("flow");
  if (flowId) {
    try {
      setFlow(await client.unlockStatus(flowId), { moveFocus: false });
      if (ui.flow.step === "identify") { ui.view = "pre"; render(); } // preconditions first, as the guide
    } catch (error) {
      ui.error = error;
      ui.view = "error";
      render();
    }
    return;
  }
  await store.load();
  if (!ui.reader && store.cards().length === 1) {
    const card = store.cards()[0];
    ui.reader = card.reader;
    ui.slot = (certOf(card, "") || {}).slot || "";
  }
  show(ui.reader ? "pre" : "pick", false);
});

store.subscribe(() => { if (ui.view === "pick" || ui.view === "pre") keepFocus(render); });

client.on("unlock.statusChanged", (p) => {
  if (!ui.flow) return;
  if (p.flowId !== ui.flow.flowId && p.cardId !== ui.flow.cardId) return;
  if (p.step === "ended") { ui.flow = { ...ui.flow, step: "ended" }; announce(reasonText("CARD_CHANGED", getLang()), true); show("ended"); return; }
  refreshStatus(true);
});

render();
