// The UI's words, Chinese first, English on request (remembered in localStorage). Error reasons are in
// reasons.js; everything else a page shows is here.

const STORAGE_KEY = "cardbridge.lang";

/** key → [中文, English]. {name} placeholders are filled by t(). */
const STRINGS = {
  "app.title": ["cardbridge 证书助手", "cardbridge Certificate Helper"],
  "app.skip": ["跳到主要内容", "Skip to main content"],
  "lang.switch": ["English", "中文"],
  "lang.switchLabel": ["Switch to English", "切换到中文"],
  "nav.label": ["主菜单", "Main menu"],
  "nav.certs": ["我的证书", "My certificates"],
  "nav.pin": ["修改密码", "Change PIN"],
  "nav.unlock": ["忘记密码", "Forgot PIN"],
  "footer.version": ["cardbridge 本机服务 V{version}（协议 {protocol}）", "cardbridge local service v{version} (protocol {protocol})"],
  "footer.health": ["服务状态", "Service health"],

  "conn.connecting": ["正在连接本机服务…", "Connecting to the local service…"],
  "conn.connected": ["已连接本机服务。", "Connected to the local service."],
  "conn.lost": ["与本机服务的连接已断开，正在重新连接（{seconds} 秒后）…", "Lost the connection to the local service; reconnecting in {seconds} s…"],
  "conn.retry": ["立即重试", "Retry now"],

  "certs.title": ["我的证书", "My certificates"],
  "certs.loading": ["正在读取读卡器和证书…", "Reading readers and certificates…"],
  "certs.noReader": ["未检测到读卡器，请插入 USB Key 或读卡器。", "No card reader found; please plug in your USB key or reader."],
  "certs.noCard": ["未插入 USB Key。", "No USB key inserted."],
  "certs.reader": ["读卡器：{name}", "Reader: {name}"],
  "certs.cardSerial": ["介质序列号", "Key serial number"],
  "certs.noCerts": ["此 USB Key 中没有证书。", "This key holds no certificate."],
  "certs.inserted": ["已插入 USB Key（{reader}）。", "USB key inserted ({reader})."],
  "certs.removed": ["USB Key 已拔出（{reader}）。", "USB key removed ({reader})."],
  "cert.holder": ["持有人", "Holder"],
  "cert.organization": ["机构", "Organisation"],
  "cert.issuer": ["颁发者", "Issuer"],
  "cert.serial": ["证书序列号", "Serial number"],
  "cert.validity": ["有效期", "Validity"],
  "cert.validityRange": ["{from} 至 {to}", "{from} to {to}"],
  "cert.algorithm": ["密钥算法", "Key algorithm"],
  "cert.signatureAlgorithm": ["签名算法", "Signature algorithm"],
  "cert.usage": ["密钥用途", "Key usage"],
  "cert.fingerprint": ["SHA-256 指纹", "SHA-256 fingerprint"],
  "cert.slot": ["槽位", "Slot"],
  "cert.status.valid": ["有效", "Valid"],
  "cert.status.expiring": ["即将过期（还剩 {days} 天）", "Expires soon ({days} days left)"],
  "cert.status.expired": ["已过期", "Expired"],
  "cert.status.notYetValid": ["尚未生效", "Not yet valid"],
  "cert.status.unreadable": ["无法读取的证书", "Unreadable certificate"],
  "cert.bits": ["{bits} 位", "{bits} bits"],
  "cert.exportPem": ["导出 PEM", "Export PEM"],
  "cert.exportDer": ["导出 DER", "Export DER"],
  "cert.exportLabel": ["导出证书 {name}（{format} 格式）", "Export certificate {name} ({format})"],
  "cert.exported": ["证书已导出：{file}", "Certificate exported: {file}"],
  "cert.forgot": ["忘记密码", "Forgot PIN"],
  "cert.forgotLabel": ["忘记密码：解锁 {name} 的 USB Key", "Forgot PIN: unlock the key of {name}"],
  "pin.label": ["密码状态", "PIN"],
  "pin.ok": ["正常（还可尝试 {n} 次）", "OK ({n} tries left)"],
  "pin.okUnknown": ["正常", "OK"],
  "pin.lastTry": ["仅剩最后 1 次尝试机会", "Only 1 try left"],
  "pin.verified": ["已验证", "Verified"],
  "pin.blocked": ["已锁定", "Blocked"],
  "pin.unknown": ["未知", "Unknown"],
  "pin.blockedHint": ["密码已锁定，请点击“忘记密码”解锁。", "The PIN is blocked; click \"Forgot PIN\" to unlock it."],

  "ku.digitalSignature": ["数字签名", "Digital signature"],
  "ku.nonRepudiation": ["不可否认", "Non-repudiation"],
  "ku.keyEncipherment": ["密钥加密", "Key encipherment"],
  "ku.dataEncipherment": ["数据加密", "Data encipherment"],
  "ku.keyAgreement": ["密钥协商", "Key agreement"],
  "ku.keyCertSign": ["证书签发", "Certificate signing"],
  "ku.cRLSign": ["CRL 签发", "CRL signing"],
  "ku.encipherOnly": ["仅加密", "Encipher only"],
  "ku.decipherOnly": ["仅解密", "Decipher only"],
  "ku.clientAuth": ["客户端身份认证", "Client authentication"],
  "ku.serverAuth": ["服务器身份认证", "Server authentication"],
  "ku.emailProtection": ["安全电子邮件", "E-mail protection"],
  "ku.codeSigning": ["代码签名", "Code signing"],
  "ku.timeStamping": ["时间戳", "Time stamping"],
  "ku.OCSPSigning": ["OCSP 签名", "OCSP signing"],
  "ku.none": ["未限定", "Not restricted"],

  "change.title": ["修改密码", "Change PIN"],
  "change.card": ["USB Key", "USB key"],
  "change.noCard": ["请先插入 USB Key。", "Insert your USB key first."],
  "change.old": ["原密码", "Current PIN"],
  "change.new": ["新密码", "New PIN"],
  "change.confirm": ["确认新密码", "Confirm new PIN"],
  "change.submit": ["修改密码", "Change PIN"],
  "change.working": ["正在修改密码，请勿拔出 USB Key…", "Changing the PIN; do not remove the key…"],
  "change.done": ["密码已修改。请使用新密码登录平台。", "The PIN was changed. Use the new PIN to sign in to the platform."],
  "change.lastTryWarning": ["注意：原密码仅剩最后 1 次尝试机会。如果再次输错，密码将被锁定，只能通过“忘记密码”解锁。", "Warning: only one try is left for the current PIN. If it is wrong again, the PIN is blocked and only \"Forgot PIN\" can unlock it."],
  "change.lastTryConfirm": ["我确认原密码无误，愿意使用最后一次机会", "I am sure of the current PIN and want to use the last try"],
  "change.lastTryRequired": ["请先勾选确认，再使用最后一次尝试机会。", "Tick the confirmation before using the last try."],
  "change.blocked": ["此 USB Key 的密码已锁定，无法修改，请使用“忘记密码”解锁。", "This key's PIN is blocked and cannot be changed; use \"Forgot PIN\" to unlock it."],
  "change.oldRequired": ["请输入原密码。", "Enter the current PIN."],
  "change.sameAsOld": ["新密码不能与原密码相同。", "The new PIN must differ from the current one."],

  "policy.title": ["新密码要求", "New PIN rules"],
  "policy.length": ["6–8 位", "6–8 characters"],
  "policy.digits": ["只能是数字", "Digits only"],
  "policy.notSame": ["不能全是相同数字（如 111111）", "Not all the same digit (such as 111111)"],
  "policy.notSequential": ["不能是连续数字（如 123456、654321）", "Not a sequence (such as 123456 or 654321)"],
  "policy.match": ["两次输入的新密码一致", "Both entries match"],
  "policy.met": ["已满足", "met"],
  "policy.unmet": ["未满足", "not met"],
  "pin.mismatch": ["两次输入的新密码不一致。", "The two new PINs differ."],

  "wizard.title": ["忘记密码", "Forgot PIN"],
  "wizard.steps": ["解锁步骤", "Unlock steps"],
  "wizard.step.pre": ["前提条件", "Before you start"],
  "wizard.step.identify": ["经办人信息", "Handler"],
  "wizard.step.verify": ["身份验证", "Verification"],
  "wizard.step.pin": ["设置新密码", "New PIN"],
  "wizard.step.done": ["完成", "Done"],
  "wizard.current": ["（当前步骤）", "(current step)"],
  "wizard.completed": ["（已完成）", "(done)"],
  "wizard.back": ["返回", "Back"],
  "wizard.next": ["下一步", "Next"],
  "wizard.restart": ["重新开始", "Start again"],
  "wizard.toCerts": ["返回我的证书", "Back to My certificates"],
  "wizard.loading": ["正在读取解锁流程…", "Loading the unlock…"],
  "wizard.pick": ["请选择要解锁的 USB Key", "Choose the key to unlock"],
  "wizard.pickNone": ["未检测到 USB Key。请插入需要解锁的 USB Key，本页会自动刷新。", "No USB key found. Insert the key to unlock; this page updates by itself."],
  "wizard.pickThis": ["解锁此 USB Key", "Unlock this key"],

  "pre.title": ["解锁前请确认", "Before you unlock"],
  "pre.intro": ["在线解锁需要满足以下条件：", "Online unlock needs:"],
  "pre.validity": ["证书在有效期内", "The certificate is within its validity"],
  "pre.validityOk": ["证书有效期至 {date}。", "The certificate is valid until {date}."],
  "pre.expired": ["证书已于 {date} 过期，无法在线解锁。", "The certificate expired on {date}; it cannot be unlocked online."],
  "pre.offlineLink": ["查看线下办理说明", "See the offline procedure"],
  "pre.offline": ["请按平台公布的线下办理方式解锁：携带 USB Key 到证书颁发机构（CA）受理点办理，或联系平台客服咨询。", "Use the platform's offline procedure: bring the USB key to the certificate authority's service desk, or ask the platform's help desk."],
  "pre.notYetValid": ["证书尚未生效（{date} 起生效），请检查电脑的日期和时间。", "The certificate is not valid yet (from {date}); check the computer's date and time."],
  "pre.version": ["本机服务版本不低于 V{min}", "Local service at least v{min}"],
  "pre.versionOk": ["当前版本 V{version}。", "Current version v{version}."],
  "pre.versionOld": ["当前版本 V{version} 过旧，请先安装最新版本的 cardbridge 证书助手（可在平台首页“下载中心”获取），安装后重新打开本页。", "Version v{version} is too old. Install the latest cardbridge Certificate Helper (from the platform's download centre) and open this page again."],
  "pre.card": ["待解锁的 USB Key", "Key to unlock"],
  "pre.start": ["开始解锁", "Start"],
  "pre.starting": ["正在检查证书…", "Checking the certificate…"],
  "pre.notBlocked": ["此 USB Key 的密码尚未锁定。如果记得原密码，可直接在“修改密码”中修改。", "This key's PIN is not blocked. If you remember it, use \"Change PIN\" instead."],

  "id.title": ["请填写经办人信息", "Enter the handler's details"],
  "id.intro": ["带 * 的为必填项。若经办人为证书原申请人，将通过短信验证码解锁；否则需上传证明材料并等待人工审核。", "Fields marked * are required. If the handler is the person who applied for the certificate, an SMS code unlocks the key; otherwise upload documents for a manual review."],
  "id.required": ["必填", "required"],
  "id.organization": ["机构名称", "Organisation"],
  "id.name": ["经办人姓名", "Handler's name"],
  "id.namePlaceholder": ["请输入经办人姓名", "Enter the handler's name"],
  "id.idType": ["经办人证件类型", "ID document type"],
  "id.idNumber": ["经办人证件号码", "ID number"],
  "id.phone": ["经办人电话号码", "Mobile number"],
  "id.phoneHint": ["中国大陆手机号码，11 位", "Mainland China mobile number, 11 digits"],
  "id.working": ["正在核对经办人信息…", "Checking the handler's details…"],
  "id.fixErrors": ["有 {n} 项信息需要修改。", "{n} fields need correcting."],
  "id.changedRestart": ["经办人信息已修改，将重新提交。", "The handler's details changed; they will be submitted again."],
  "id.editLater": ["以下是已提交的经办人信息。如有修改，点击“下一步”后将重新提交申请（已上传的材料需要重新上传）；未修改则直接回到原步骤。", "These are the details you submitted. If you change them, \"Next\" submits a new request (uploaded files must be uploaded again); unchanged, it returns to where you were."],

  "field.organization.required": ["请填写机构名称。", "Enter the organisation's name."],
  "field.organization.length": ["机构名称应为 2–100 个字。", "The organisation's name must be 2–100 characters."],
  "field.organization.format": ["机构名称含有不能使用的字符。", "The organisation's name contains characters that are not allowed."],
  "field.name.required": ["请填写经办人姓名。", "Enter the handler's name."],
  "field.name.length": ["经办人姓名不能超过 50 个字。", "The name must be at most 50 characters."],
  "field.name.format": ["姓名只能包含文字、空格和间隔号“·”。", "The name may contain letters, spaces and the middle dot \"·\" only."],
  "field.idType.required": ["请选择证件类型。", "Choose the ID document type."],
  "field.idType.unknown_type": ["请从列表中选择证件类型。", "Choose an ID document type from the list."],
  "field.idNumber.required": ["请填写证件号码。", "Enter the ID number."],
  "field.idNumber.format": ["证件号码格式不正确。", "The ID number's format is wrong."],
  "field.idNumber.format.居民身份证": ["身份证号码应为 18 位：17 位数字加 1 位数字或 X。", "A resident ID number has 18 characters: 17 digits and a digit or X."],
  "field.idNumber.format.港澳台居民居住证": ["居住证号码应为 18 位：17 位数字加 1 位数字或 X。", "A residence permit number has 18 characters: 17 digits and a digit or X."],
  "field.idNumber.format.港澳居民来往内地通行证": ["通行证号码应为 H 或 M 加 8 位或 10 位数字。", "The permit number is H or M followed by 8 or 10 digits."],
  "field.idNumber.format.台湾居民来往大陆通行证": ["台湾居民来往大陆通行证号码应为 8 位数字。", "The permit number has 8 digits."],
  "field.idNumber.format.外国人永久居留身份证": ["应为以 9 开头的 18 位号码，或 3 个字母加 12 位数字。", "18 characters starting with 9, or 3 letters and 12 digits."],
  "field.idNumber.format.护照": ["护照号码只能包含字母和数字。", "A passport number has letters and digits only."],
  "field.idNumber.length": ["护照号码应为 5–17 位。", "A passport number has 5–17 characters."],
  "field.idNumber.checksum": ["证件号码校验位不正确，请逐位核对。", "The ID number's check character is wrong; check each digit."],
  "field.idNumber.date": ["证件号码中的出生日期无效。", "The birth date in the ID number is not valid."],
  "field.idNumber.region": ["证件号码的地区代码无效。", "The region code of the ID number is not valid."],
  "field.idNumber.region.港澳台居民居住证": ["港澳台居民居住证号码应以 810000、820000 或 830000 开头。", "A residence permit number starts with 810000, 820000 or 830000."],
  "field.idNumber.unknown_type": ["请先选择证件类型。", "Choose the ID document type first."],
  "field.phone.required": ["请填写电话号码。", "Enter the mobile number."],
  "field.phone.format": ["请填写 11 位中国大陆手机号码（如 13800138000）。", "Enter an 11-digit mainland mobile number (such as 13800138000)."],
  "field.generic": ["此项填写有误。", "This field is not valid."],

  "sms.title": ["短信验证", "SMS verification"],
  "sms.intro": ["经办人为证书原申请人。点击“获取验证码”，验证码将发送到登记的手机 {phone}。", "The handler applied for this certificate. Click \"Get code\" to receive a code on the registered phone {phone}."],
  "sms.code": ["验证码", "Code"],
  "sms.codeHint": ["6 位数字，5 分钟内有效", "6 digits, valid for 5 minutes"],
  "sms.send": ["获取验证码", "Get code"],
  "sms.sending": ["正在发送…", "Sending…"],
  "sms.resend": ["重新获取（{s} 秒）", "Resend ({s} s)"],
  "sms.resendNow": ["重新获取", "Resend"],
  "sms.sent": ["验证码已发送至 {phone}，5 分钟内有效。", "A code was sent to {phone}; it is valid for 5 minutes."],
  "sms.codeRequired": ["请输入 6 位验证码。", "Enter the 6-digit code."],
  "sms.working": ["正在验证并重置密码，请勿拔出 USB Key…", "Verifying and resetting the PIN; do not remove the key…"],

  "review.title": ["上传证明材料", "Upload documents"],
  "review.intro": ["经办人不是证书原申请人，需要上传以下材料，由证书颁发机构人工审核（3 个工作日内）。", "The handler is not the original applicant: upload the documents below for a manual review (within 3 working days)."],
  "review.exportForm": ["导出申请表", "Export application form"],
  "review.notes": ["说明", "How to"],
  "review.note1": ["点击“导出申请表”，核对并打印申请表。", "Click \"Export application form\", check it and print it."],
  "review.note2": ["在申请表上签字并加盖公章，扫描或拍照后点击“+”上传。", "Sign and seal the form, scan or photograph it, then upload it with \"+\"."],
  "review.note3": ["按要求上传其他证明材料（* 为必须上传），然后点击“提交审核”。", "Upload the other documents (* = required), then click \"Submit\"."],
  "review.limits": ["每个文件不超过 1024 KB，格式为 jpg、png、gif、bmp 或 pdf。", "Each file under 1024 KB; jpg, png, gif, bmp or pdf."],
  "review.kind.application_form": ["《数字证书申请表》（需加盖公章）", "Certificate application form (sealed)"],
  "review.kind.business_license": ["《营业执照》扫描件（需加盖公章）", "Business licence scan (sealed)"],
  "review.kind.handler_id": ["经办人身份证扫描件（需加盖公章）", "Handler's ID card scan (sealed)"],
  "review.status.none": ["未上传", "Not uploaded"],
  "review.status.checking": ["正在检查文件…", "Checking the file…"],
  "review.status.uploading": ["正在上传 {percent}%", "Uploading {percent}%"],
  "review.status.done": ["已上传", "Uploaded"],
  "review.status.failed": ["上传失败", "Upload failed"],
  "review.add": ["+ 选择文件", "+ Choose file"],
  "review.replace": ["替换文件", "Replace file"],
  "review.drop": ["或将文件拖到此处", "or drop the file here"],
  "review.uploaded": ["{kind}已上传。", "{kind} uploaded."],
  "review.fileInfo": ["{name}（{size}）", "{name} ({size})"],
  "review.pdf": ["PDF 文件", "PDF file"],
  "review.preview": ["{kind}预览", "Preview of {kind}"],
  "review.submit": ["提交审核", "Submit for review"],
  "review.submitting": ["正在提交…", "Submitting…"],
  "review.missing": ["请先上传：{list}", "Upload first: {list}"],
  "review.withdraw": ["撤销申请", "Withdraw"],
  "review.withdrawConfirm": ["确定撤销本次解锁申请吗？撤销后需要重新填写和上传。", "Withdraw this unlock request? You will have to start again."],
  "review.withdrawing": ["正在撤销…", "Withdrawing…"],
  "review.request": ["申请编号：{id}", "Request number: {id}"],

  "inreview.title": ["审核中", "In review"],
  "inreview.text": ["申请已提交，证书颁发机构将在 3 个工作日内完成审核，预计 {date} 前完成。", "Your request was submitted. The certificate authority reviews it within 3 working days, by {date}."],
  "inreview.estimate": ["（预计日期为估算值）", "(estimated date)"],
  "inreview.wait": ["审核通过后本页会自动进入下一步。您也可以关闭本页，稍后插入 USB Key，在“我的证书”中点击“忘记密码”继续。", "When the review is approved this page moves on by itself. You may also close it and later click \"Forgot PIN\" in My certificates to continue."],
  "inreview.refresh": ["刷新审核状态", "Check status"],
  "inreview.refreshing": ["正在查询审核状态…", "Checking the status…"],
  "inreview.still": ["仍在审核中。", "Still in review."],

  "approved.title": ["设置新密码", "Set a new PIN"],
  "approved.text": ["审核已通过。请设置新密码，需在 {date} 前完成。", "Approved. Set a new PIN before {date}."],
  "approved.textSms": ["验证已通过，请设置新密码。", "Verified. Set a new PIN."],
  "approved.submit": ["设置新密码", "Set new PIN"],
  "approved.working": ["正在重置密码，请勿拔出 USB Key…", "Resetting the PIN; do not remove the key…"],

  "done.title": ["解锁成功", "Unlocked"],
  "done.text": ["USB Key 已解锁，新密码已生效。请使用新密码登录平台。", "The key is unlocked and the new PIN is in effect. Use it to sign in to the platform."],
  "done.earlier": ["注意：新密码已在之前一次中断的操作中设置，有效的是当时输入的新密码。", "Note: the PIN was set by an earlier, interrupted attempt; the PIN typed then is in effect."],
  "rejected.title": ["审核未通过", "Request rejected"],
  "rejected.text": ["审核未通过，原因：{reason}", "The request was rejected: {reason}"],
  "rejected.again": ["重新申请", "Apply again"],
  "withdrawn.title": ["申请已撤销", "Request withdrawn"],
  "withdrawn.text": ["本次解锁申请已撤销。", "This unlock request was withdrawn."],
  "expired.title": ["审核通过已过期", "Approval expired"],
  "ended.title": ["USB Key 已更换", "Key changed"],
  "status.changed": ["审核状态已更新：{step}", "Review status updated: {step}"],

  "form.title": ["数字证书申请表", "Digital certificate application form"],
  "form.print": ["打印 / 另存为 PDF", "Print / save as PDF"],
  "form.loading": ["正在读取申请表数据…", "Loading the form's data…"],

  "common.error": ["出错了", "Error"],
};

let lang = "zh";
try {
  const saved = globalThis.localStorage && localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh") lang = saved;
} catch (e) { /* storage blocked: stay Chinese */ }
const listeners = [];

/** "zh" or "en". */
export function getLang() {
  return lang;
}

/** Sets and remembers the language, updates <html lang> and calls the listeners. */
export function setLang(next) {
  lang = next === "en" ? "en" : "zh";
  try { localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* not remembered */ }
  if (globalThis.document) document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const fn of listeners) fn(lang);
}

/** Calls fn(lang) after every language change. */
export function onLangChange(fn) {
  listeners.push(fn);
}

/** The text for key in the current language, placeholders filled from vars. */
export function t(key, vars = {}) {
  const entry = STRINGS[key];
  if (!entry) return key;
  const text = entry[lang === "en" ? 1 : 0];
  return text.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name])));
}

/** Whether a key exists. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(STRINGS, key);
}

if (globalThis.document) document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
