// The web UI's form rules and PIN policy (webui/js/rules.js): the same problems, in the same order, as
// common/rules/src/form.cpp and daemon/card/src/pin_policy.cpp.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  checkIdNumber, checkName, checkOrganization, checkPhone, gb11643CheckChar, pinChecklist, pinViolation,
  validateHandler, maskPhone,
} from "../../webui/js/rules.js";

const TODAY = "2026-06-01";

test("GB 11643-1999 check character (the demo applicant's number and the standard's example)", () => {
  assert.equal(gb11643CheckChar("44030519900101123"), "X");
  assert.equal(gb11643CheckChar("11010519491231002"), "X");
  assert.equal(gb11643CheckChar("1101051949123100"), null);
});

test("居民身份证: format, region, date, checksum, lower-case x accepted and upper-cased", () => {
  const id = (text) => checkIdNumber("居民身份证", text, TODAY);
  assert.deepEqual(id("44030519900101123x"), { value: "44030519900101123X", problem: null });
  assert.equal(id("").problem, "required");
  assert.equal(id("4403051990010112").problem, "format");
  assert.equal(id("99030519900101123X").problem, "region");
  assert.equal(id("440305199002301234").problem, "date");
  assert.equal(id("440305203001011234").problem, "date");
  assert.equal(id("440305199001011231").problem, "checksum");
  assert.equal(id("４４０３０５１９９００１０１１２３Ｘ").value, "44030519900101123X");
});

test("the other 证件类型", () => {
  assert.equal(checkIdNumber("港澳台居民居住证", "440305199001011231", TODAY).problem, "region");
  assert.equal(checkIdNumber("港澳居民来往内地通行证", "h1234567801", TODAY).problem, null);
  assert.equal(checkIdNumber("港澳居民来往内地通行证", "X12345678", TODAY).problem, "format");
  assert.equal(checkIdNumber("台湾居民来往大陆通行证", "1234567", TODAY).problem, "format");
  assert.equal(checkIdNumber("护照", "E1234", TODAY).problem, null);
  assert.equal(checkIdNumber("护照", "E12", TODAY).problem, "length");
  assert.equal(checkIdNumber("护照", "E12-34", TODAY).problem, "format");
  assert.equal(checkIdNumber("外国人永久居留身份证", "USA123456789012", TODAY).problem, null);
  const first17 = "91234519900101123";
  assert.equal(checkIdNumber("外国人永久居留身份证", first17 + gb11643CheckChar(first17), TODAY).problem, null);
  assert.equal(checkIdNumber("外国人永久居留身份证", first17 + "0", TODAY).problem,
    gb11643CheckChar(first17) === "0" ? null : "checksum");
});

test("机构名称, 经办人姓名 and 电话号码", () => {
  assert.equal(checkOrganization("  ").problem, "required");
  assert.equal(checkOrganization("深").problem, "length");
  assert.equal(checkOrganization("深圳市示例医疗器械有限公司（深圳）").problem, null);
  assert.equal(checkName("买买提•艾力").value, "买买提·艾力");
  assert.equal(checkName("张三3").problem, "format");
  assert.equal(checkName("张".repeat(51)).problem, "length");
  assert.equal(checkPhone("+86 138-0013-8000").value, "13800138000");
  assert.equal(checkPhone("12800138000").problem, "format");
  assert.equal(maskPhone("13800138000"), "138****8000");
});

test("validateHandler reports one problem per field", () => {
  const r = validateHandler({ organization: "", name: "张三", idType: "居民身份证", idNumber: "440305199001011231", phone: "1" }, TODAY);
  assert.deepEqual(r.errors, { organization: "required", idNumber: "checksum", phone: "format" });
  const good = validateHandler({ organization: "深圳市示例医疗器械有限公司", name: "张三", idType: "居民身份证",
    idNumber: "44030519900101123x", phone: "13800138000" }, TODAY);
  assert.ok(good.ok);
  assert.equal(good.form.idNumber, "44030519900101123X");
});

test("PIN policy as the daemon's", () => {
  assert.equal(pinViolation("12345"), "TooShort");
  assert.equal(pinViolation("123456789"), "TooLong");
  assert.equal(pinViolation("12a456"), "NotDigits");
  assert.equal(pinViolation("111111"), "AllSame");
  assert.equal(pinViolation("234567"), "Sequential");
  assert.equal(pinViolation("876543"), "Sequential");
  assert.equal(pinViolation("789012"), null);
  assert.equal(pinViolation("258014"), null);
  assert.deepEqual(pinChecklist("258014", "258014").map((r) => r.met), [true, true, true, true, true]);
  assert.deepEqual(pinChecklist("123456", "12345").map((r) => r.met), [true, true, true, false, false]);
});
