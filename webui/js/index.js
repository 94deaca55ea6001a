// index.html: 我的证书 (#certs) and 修改密码 (#pin) on one page, switched by the URL's hash.
import { initShell, keepFocus } from "./shell.js";
import { createStore } from "./store.js";
import { createCertsView } from "./certs.js";
import { createChangeView } from "./change.js";
import { focus } from "./dom.js";

const certsRoot = document.getElementById("view-certs");
const pinRoot = document.getElementById("view-pin");
const current = () => (location.hash === "#pin" ? "pin" : "certs");

let certs = null, change = null;
const { client, renderHeader } = initShell({
  page: current,
  render: () => { certs.render(); change.render(); },
});
const store = createStore(client);
certs = createCertsView(certsRoot, { client, store });
change = createChangeView(pinRoot, { client, store });

function show(moveFocus) {
  const page = current();
  certsRoot.hidden = page !== "certs";
  pinRoot.hidden = page !== "pin";
  keepFocus(renderHeader);
  document.title = `${document.getElementById(page === "pin" ? "pin-title" : "certs-title")?.textContent || ""} · cardbridge`;
  if (moveFocus) focus(document.getElementById(page === "pin" ? "pin-title" : "certs-title"));
}

certs.render();
change.render();
show(false);
window.addEventListener("hashchange", () => show(true));
