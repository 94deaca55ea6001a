// Every error reason the daemon can send (docs/api.md §7) as a sentence a user or a support desk can act
// on, Chinese first. tests/web/reasons.test.mjs fails when this table and docs/api.md §7 differ.
// Placeholders {retriesLeft}, {triesLeft}, {retryAfter} are filled from the error's data.

/** docs/api.md §7, reason → {zh, en}; the sentences are the contract's, word for word. */
export const REASONS = {
  PARSE_ERROR: { zh: "请求格式错误，无法解析。", en: "The request could not be parsed." },
  INVALID_REQUEST: { zh: "请求不符合协议。", en: "The request is not a valid JSON-RPC 2.0 request." },
  METHOD_NOT_FOUND: { zh: "不支持该操作。", en: "This operation is not supported." },
  INVALID_PARAMS: { zh: "请求参数有误。", en: "The request parameters are invalid." },
  NOT_ALLOWED: { zh: "当前页面无权执行此操作，请在 cardbridge 页面中操作。", en: "This page is not allowed to do that; please use the cardbridge page." },
  RATE_LIMITED: { zh: "操作过于频繁，请稍后再试。", en: "Too many requests; please try again shortly." },
  TOO_MANY_PENDING: { zh: "正在处理的请求过多，请稍候。", en: "Too many requests in progress; please wait." },
  INTERNAL: { zh: "内部错误，请重试或联系技术支持。", en: "Internal error; please retry or contact support." },
  PCSC_UNAVAILABLE: { zh: "智能卡服务未运行，请启动 pcscd（智能卡服务）后重试。", en: "The smart-card service (pcscd) is not running." },
  NO_READER: { zh: "未检测到读卡器，请插入 USB Key 或读卡器。", en: "No card reader found; please plug in your USB key or reader." },
  READER_UNAVAILABLE: { zh: "读卡器不可用，请重新插入后重试。", en: "The reader is not available; please reconnect it." },
  CARD_ABSENT: { zh: "未检测到证书介质，请插入 USB Key。", en: "No card found; please insert your USB key." },
  CARD_REMOVED: { zh: "操作过程中证书介质被拔出，请重新插入后重试。", en: "The card was removed during the operation; insert it and try again." },
  CARD_BUSY: { zh: "证书介质正被其他程序占用，请关闭其他证书客户端后重试。", en: "Another program is using the card; close it and try again." },
  CARD_UNRESPONSIVE: { zh: "证书介质无响应，请重新插入。", en: "The card does not respond; please reinsert it." },
  CARD_UNSUPPORTED: { zh: "不支持此证书介质。", en: "This card is not supported." },
  CARD_ERROR: { zh: "证书介质返回异常，请联系技术支持。", en: "The card returned an unexpected answer; please contact support." },
  TIMEOUT: { zh: "操作超时，请重试。", en: "The operation timed out; please try again." },
  PIN_INCORRECT: { zh: "密码错误，还可尝试 {retriesLeft} 次。", en: "Wrong PIN; {retriesLeft} tries left." },
  PIN_BLOCKED: { zh: "密码已锁定，请使用“忘记密码”解锁。", en: "The PIN is blocked; use \"Forgot PIN\" to unlock it." },
  PIN_POLICY: { zh: "新密码须为 6–8 位数字，且不能是相同数字或连续数字。", en: "The new PIN must be 6–8 digits, not all the same and not a sequence." },
  PUK_INCORRECT: { zh: "解锁码错误，还可尝试 {retriesLeft} 次。", en: "Wrong unlock code (PUK); {retriesLeft} tries left." },
  PUK_BLOCKED: { zh: "解锁码已锁定，请联系证书颁发机构。", en: "The unlock code (PUK) is blocked; contact the certificate authority." },
  CERT_NOT_FOUND: { zh: "未找到证书。", en: "No certificate found." },
  AUTHORITY_NOT_CONFIGURED: { zh: "未配置在线解锁服务，请联系管理员。", en: "Online unlock is not configured; contact your administrator." },
  AUTHORITY_UNREACHABLE: { zh: "无法连接在线解锁服务，请检查网络后重试。", en: "The unlock service cannot be reached; check the network and try again." },
  AUTHORITY_UNTRUSTED: { zh: "在线解锁服务的证书不受信任，请联系技术支持。", en: "The unlock service's certificate is not trusted; contact support." },
  AUTHORITY_ERROR: { zh: "在线解锁服务出现异常，请稍后重试或联系技术支持。", en: "The unlock service failed; try again later or contact support." },
  FLOW_NOT_FOUND: { zh: "解锁流程已失效，请重新开始。", en: "This unlock has expired; please start again." },
  CARD_CHANGED: { zh: "证书介质已更换，请插入原来的 USB Key 后重新开始。", en: "A different card was inserted; insert the original key and start again." },
  WRONG_STATE: { zh: "当前步骤不能执行此操作，请刷新后重试。", en: "This step does not allow that; refresh and try again." },
  CERT_EXPIRED: { zh: "证书已过期，无法在线解锁，请按平台说明办理线下解锁。", en: "The certificate has expired; online unlock is not possible, use the offline procedure." },
  CERT_NOT_YET_VALID: { zh: "证书尚未生效，请检查电脑时间。", en: "The certificate is not valid yet; check the computer's clock." },
  CERT_UNKNOWN: { zh: "该证书未在在线解锁服务登记，请联系证书颁发机构。", en: "This certificate is not registered for online unlock; contact the CA." },
  CARD_MISMATCH: { zh: "证书与 USB Key 不匹配，请联系证书颁发机构。", en: "The certificate does not belong to this key; contact the CA." },
  FORM_INVALID: { zh: "经办人信息有误，请按提示修改。", en: "Some handler details are invalid; please correct them." },
  CODE_INCORRECT: { zh: "验证码错误，还可尝试 {triesLeft} 次。", en: "Wrong code; {triesLeft} tries left." },
  CODE_EXPIRED: { zh: "验证码已过期，请重新获取。", en: "The code has expired; request a new one." },
  CODE_NOT_SENT: { zh: "请先获取验证码。", en: "Request a code first." },
  CODE_LOCKED: { zh: "验证码错误次数过多，请重新获取。", en: "Too many wrong codes; request a new one." },
  CODE_COOLDOWN: { zh: "请 {retryAfter} 秒后再获取验证码。", en: "Wait {retryAfter} s before requesting another code." },
  DAILY_CAP: { zh: "今日获取验证码次数已达上限，请明天再试。", en: "No more codes today; try again tomorrow." },
  SMS_UNAVAILABLE: { zh: "短信发送失败，请稍后重试。", en: "The SMS could not be sent; try again later." },
  ATTACHMENT_TOO_LARGE: { zh: "文件不能超过 1024 KB。", en: "The file must be under 1024 KB." },
  ATTACHMENT_TYPE: { zh: "文件格式须为 jpg、png、gif、bmp 或 pdf。", en: "The file must be a jpg, png, gif, bmp or pdf." },
  ATTACHMENTS_MISSING: { zh: "请上传全部必需材料后再提交。", en: "Upload every required file before submitting." },
  APPROVAL_EXPIRED: { zh: "审核通过已超过有效期，请重新申请。", en: "The approval has expired; please apply again." },
  REQUEST_NOT_FOUND: { zh: "解锁申请不存在或已失效，请重新开始。", en: "The unlock request no longer exists; please start again." },
  PIN_LAST_TRY: { zh: "密码仅剩最后 1 次尝试机会，输错将锁定。确定要继续吗？", en: "Only one PIN try is left; a wrong PIN will lock it. Continue?" },
  PUK_MISMATCH: { zh: "USB Key 不接受解锁服务提供的解锁码，为保护 USB Key 已停止尝试，请联系证书颁发机构。", en: "The key does not accept the unlock service's code; to protect it nothing more is tried. Contact the CA." },
};

/** PIN_POLICY per data.violation (docs/api.md §7, the paragraph under the table). */
export const PIN_POLICY_VIOLATIONS = {
  TooShort: { zh: "密码不足 6 位。", en: "The PIN has fewer than 6 digits." },
  TooLong: { zh: "密码超过 8 位。", en: "The PIN has more than 8 digits." },
  NotDigits: { zh: "密码只能包含数字。", en: "The PIN may contain digits only." },
  AllSame: { zh: "不能全是相同数字。", en: "The PIN must not be all the same digit." },
  Sequential: { zh: "不能是连续数字（如 123456）。", en: "The PIN must not be a sequence such as 123456." },
};

/** Reasons raised by the SDK itself (webui/sdk/cardbridge.js CLIENT_REASONS), not by the daemon. */
export const CLIENT_REASONS = {
  DAEMON_UNAVAILABLE: {
    zh: "无法连接本机 cardbridge 服务。请确认已安装最新的数字证书客户端并且已开启。",
    en: "Cannot reach the local cardbridge service. Make sure the latest certificate client is installed and running.",
  },
  REQUIRES_UPDATE: {
    zh: "本机 cardbridge 服务版本过旧（{version}），请安装 {minVersion} 或更新版本。",
    en: "The local cardbridge service is too old ({version}); please install version {minVersion} or later.",
  },
  CONNECTION_LOST: {
    zh: "与本机服务的连接已断开，操作结果未知，请查看状态后再决定是否重试。",
    en: "The connection to the local service was lost; the outcome is unknown. Check the state before retrying.",
  },
  REQUEST_TIMEOUT: {
    zh: "本机服务长时间未响应，操作结果未知，请查看状态后再决定是否重试。",
    en: "The local service did not answer in time; the outcome is unknown. Check the state before retrying.",
  },
  ABORTED: { zh: "操作已取消。", en: "The operation was cancelled." },
  UPLOAD_FAILED: { zh: "文件上传失败，请检查网络后重试。", en: "The upload failed; check the network and try again." },
};

/** A reason nobody knows yet (a newer daemon): still a sentence, with the code for the support desk. */
export const UNKNOWN_REASON = {
  zh: "操作失败（错误代码 {reason}），请重试或联系技术支持。",
  en: "The operation failed (error code {reason}); please retry or contact support.",
};

// Sentences used when a placeholder's value is missing from the error's data.
const WITHOUT_DATA = {
  PIN_INCORRECT: { zh: "密码错误。", en: "Wrong PIN." },
  PUK_INCORRECT: { zh: "解锁码错误。", en: "Wrong unlock code (PUK)." },
  CODE_INCORRECT: { zh: "验证码错误。", en: "Wrong code." },
  CODE_COOLDOWN: { zh: "请稍后再获取验证码。", en: "Wait a moment before requesting another code." },
  REQUIRES_UPDATE: {
    zh: "本机 cardbridge 服务版本过旧，请安装最新版本。",
    en: "The local cardbridge service is too old; please install the latest version.",
  },
};

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
}

function placeholders(template) {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

/**
 * The sentence for an error (a CardBridgeError, or {reason, data}, or a reason string) in `lang`
 * ("zh" or "en"). PIN_POLICY with a known data.violation gives that violation's sentence.
 */
export function reasonText(error, lang = "zh") {
  const reason = typeof error === "string" ? error : error && error.reason;
  const data = (error && typeof error === "object" && error.data) || {};
  const entry = REASONS[reason] || CLIENT_REASONS[reason];
  if (!entry) return fill(UNKNOWN_REASON[lang], { reason: reason || "?" });
  let template = entry[lang];
  const values = { ...data, reason };
  if (placeholders(template).some((key) => values[key] === undefined || values[key] === null)) {
    template = (WITHOUT_DATA[reason] || entry)[lang];
  }
  if (reason === "PIN_POLICY" && PIN_POLICY_VIOLATIONS[data.violation]) {
    const lead = { zh: "新密码不符合要求：", en: "The new PIN is not allowed: " }[lang];
    return lead + PIN_POLICY_VIOLATIONS[data.violation][lang];
  }
  return fill(template, values);
}

/** Every reason the table knows (daemon and SDK). */
export function knownReasons() {
  return [...Object.keys(REASONS), ...Object.keys(CLIENT_REASONS)];
}
