// form.html?flow=ID: the printable 《数字证书申请表》 for the review route, pre-filled from
// unlock.applicationForm (certificate, organisation, handler, request number), with places for the
// handler's signature and the company seal. The form itself is in Chinese (it goes to the CA).
import { h, replace, announce } from "./dom.js";
import { t, getLang } from "./i18n.js";
import { reasonText } from "./reasons.js";
import { initShell } from "./shell.js";
import { fmtDate } from "./format.js";

const flowId = new URLSearchParams(location.search).get("flow") || "";
const toolbar = document.getElementById("toolbar");
const sheet = document.getElementById("sheet");
let data = null;
let error = null;

const { client } = initShell({ page: "form", render: () => render() });

function line(label, value) {
  return h("tr", null, h("th", null, label), h("td", null, value ? value : h("span", { class: "blank" }, "　")));
}

function section(name, rows) {
  return rows.map((row, i) => {
    if (i === 0) row.prepend(h("th", { class: "section", rowspan: rows.length, scope: "rowgroup" }, name));
    return row;
  });
}

function render() {
  replace(toolbar,
    h("button", { type: "button", class: "primary", id: "print", disabled: !data, onclick: () => window.print() }, t("form.print")),
    h("a", { href: `unlock.html?flow=${encodeURIComponent(flowId)}` }, t("wizard.back")));
  if (error) { replace(sheet, h("p", { class: "notice error" }, reasonText(error, getLang()))); return; }
  if (!data) { replace(sheet, h("p", { class: "progress" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("form.loading"))); return; }
  const d = data;
  replace(sheet, h("article", { class: "sheet", lang: "zh-CN", "aria-label": "数字证书申请表" },
    h("h1", null, "数字证书申请表"),
    h("p", { class: "sub" }, "（USB Key 密码解锁申请）"),
    h("div", { class: "meta" }, h("span", null, `申请编号：${d.requestId || ""}`), h("span", null, `申请日期：${d.createdDate ? fmtDate(d.createdDate) : fmtDate(new Date().toISOString())}`)),
    h("table", null, h("tbody", null,
      section("证书信息", [
        line("证书持有人", d.certificateCommonName),
        line("证书主题", d.certificateSubject),
        line("证书序列号", d.certificateSerial),
        line("颁发机构", d.certificateIssuer),
        line("有效期", `${fmtDate(d.notBefore)} 至 ${fmtDate(d.notAfter)}`),
        line("介质序列号", d.cardSerial),
      ]),
      section("机构信息", [
        line("机构名称", d.organization),
        line("统一社会信用代码", d.uscc),
      ]),
      section("经办人", [
        line("姓名", d.handlerName),
        line("证件类型", d.handlerIdType),
        line("证件号码", d.maskedIdNumber ? `${d.maskedIdNumber}（请在下方手写完整号码）` : ""),
        line("完整证件号码", ""),
        line("联系电话", d.maskedPhone),
      ]),
      section("申请事项", [line("事项", "☑ USB Key 密码（PIN）遗忘 / 锁定，申请在线解锁")]))),
    h("p", { class: "decl" }, "本单位承诺以上信息真实有效，所附材料真实合法，并承担由此产生的法律责任。"),
    h("div", { class: "signs" },
      h("div", { class: "signbox" }, "经办人签字：", h("span", { class: "date" }, "日期：　　　年　　月　　日")),
      h("div", { class: "signbox seal" }, "单位公章：", h("div", { class: "circle" }, "（盖章处）"), h("span", { class: "date" }, "日期：　　　年　　月　　日"))),
    h("p", { class: "foot-note" }, "填写说明：核对以上信息后打印本表，由经办人签字并加盖单位公章，扫描或拍照后在“忘记密码”页面上传。")));
}

client.on("connected", async () => {
  if (data) return;
  try {
    if (!flowId) throw { reason: "FLOW_NOT_FOUND", data: {} };
    data = await client.applicationForm(flowId);
    error = null;
  } catch (e) {
    error = e;
  }
  render();
  if (data) announce(t("form.title"));
});
render();
