// The platform's side of cardbridge, as a portal developer writes it (docs/sdk.md): detect the local
// service, list the certificates on the user's keys (live), and start 忘记密码 with openUnlockWizard.
// The PIN is never typed here: the wizard is the daemon's own page.
/* global CardBridge */
(function () {
  "use strict";
  var DOWNLOAD_URL = "https://www.example.cn/download/cardbridge"; // the platform's download centre
  var statusEl = document.getElementById("status");
  var listEl = document.getElementById("certs");
  // ?ports=24001,24002 overrides the daemon's default ports (the tests run a daemon of their own).
  var ports = (new URLSearchParams(location.search).get("ports") || "").split(",").map(Number).filter(Boolean);
  var client = new CardBridge.Client({ minVersion: "0.1.0", downloadUrl: DOWNLOAD_URL, ports: ports.length ? ports : undefined });

  function setStatus(text, isError, link) {
    statusEl.textContent = text;
    statusEl.className = isError ? "status error" : "status";
    if (link) {
      statusEl.append(" ");
      var a = document.createElement("a");
      a.href = link;
      a.textContent = "下载 cardbridge 证书助手";
      statusEl.append(a);
    }
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function render(cards) {
    listEl.textContent = "";
    if (!cards.length) { setStatus("未检测到 USB Key，请插入证书介质。"); return; }
    setStatus("已检测到数字证书客户端 V" + client.hello.version + "，请选择证书登录。");
    cards.forEach(function (card) {
      card.certificates.filter(function (c) { return c.status !== "unreadable"; }).forEach(function (cert) {
        var li = el("li");
        var who = el("div", (cert.subject.cn || "") + (cert.subject.o ? " · " + cert.subject.o : ""), "who");
        var blocked = card.pin && card.pin.state === "blocked";
        who.append(el("small", "有效期至 " + cert.notAfter.slice(0, 10) + (cert.status === "expired" ? "（已过期）" : "")));
        if (blocked) who.append(el("small", "密码已锁定", "locked"));
        var login = el("button", "登录", "primary");
        login.type = "button";
        login.disabled = blocked || cert.status !== "valid";
        login.addEventListener("click", function () { alert("示例页面：此处由平台完成证书登录（签名）。"); });
        var forgot = el("button", "忘记密码");
        forgot.type = "button";
        forgot.setAttribute("aria-label", "忘记密码：" + (cert.subject.cn || ""));
        forgot.addEventListener("click", function () {
          // Called inside the click: the SDK opens the window at once so popup blockers allow it.
          client.openUnlockWizard({ reader: card.reader, slot: cert.slot }).catch(function (error) {
            if (error.reason === "CERT_EXPIRED") setStatus("证书已过期，无法在线解锁，请按平台说明办理线下解锁。", true);
            else setStatus("无法启动解锁（" + error.reason + "）。", true);
          });
        });
        li.append(who, login, forgot);
        listEl.append(li);
      });
    });
  }

  function refresh() {
    client.listCards().then(render, function (error) { setStatus("读取证书失败（" + error.reason + "）。", true); });
  }

  ["card.inserted", "card.removed", "reader.added", "reader.removed"].forEach(function (ev) { client.on(ev, refresh); });
  client.on("connected", refresh);
  client.on("reconnecting", function () { setStatus("与数字证书客户端的连接已断开，正在重新连接…", true); });
  client.connect().catch(function (error) {
    if (error.reason === "REQUIRES_UPDATE") {
      setStatus("数字证书客户端版本过旧（V" + error.data.version + "），请安装最新版本。", true, error.downloadUrl);
    } else {
      setStatus("请确认已安装最新的数字证书客户端并且已开启。", true, DOWNLOAD_URL);
    }
  });
})();
