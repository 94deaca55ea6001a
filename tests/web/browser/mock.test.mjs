// UI states the demo cannot reach on demand, against the stand-in daemon (tests/web/support/mock-daemon.mjs,
// plain http on loopback): an expired certificate shows the offline route, an outdated daemon says where
// to get a new one, and the 经办人信息 form can be filled with the keyboard alone in a sensible order.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

import { startMockDaemon } from "../support/mock-daemon.mjs";
import { prerequisites } from "../support/prerequisites.mjs";
import { CHROMIUM, axeScan, launch, openPage, shot } from "./harness.mjs";

const skip = prerequisites(existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}`);
const errors = [];
let browser;
after(async () => { if (browser) await browser.close(); });

async function withMock(options, fn) {
  const mock = await startMockDaemon(options);
  browser = browser || (await launch());
  const { context, page } = await openPage(browser, errors);
  try {
    await fn(page, `http://127.0.0.1:${mock.port}/`);
  } finally {
    await context.close();
    await mock.stop();
  }
}

test("an expired certificate shows the offline route instead of the wizard", { skip }, async () => {
  await withMock({ expired: true }, async (page, base) => {
    await page.goto(base);
    await page.locator("article.reader .badge.bad", { hasText: "已过期" }).waitFor();
    await page.getByRole("link", { name: /忘记密码：/ }).click();
    const check = page.locator(".checks li.fail");
    await check.first().waitFor();
    assert.match(await check.first().textContent(), /已于 \d{4}-\d\d-\d\d 过期，无法在线解锁/);
    assert.match(await check.first().textContent(), /线下/);
    assert.equal(await page.isDisabled("#pre-start"), true);
    await shot(page, "mock-expired-offline");
    assert.deepEqual(await axeScan(page, "mock-expired"), []);
  });
});

test("an outdated daemon is named, with where to get a new one", { skip }, async () => {
  await withMock({ version: "0.0.9" }, async (page, base) => {
    await page.goto(`${base}unlock.html`);
    const check = page.locator(".checks li.fail");
    await check.first().waitFor();
    assert.match(await check.first().textContent(), /V0\.0\.9 过旧.*下载中心/);
    assert.equal(await page.isDisabled("#pre-start"), true);
    await shot(page, "mock-outdated");
  });
});

test("the handler form in keyboard order, submitted with Enter", { skip }, async () => {
  await withMock({}, async (page, base) => {
    await page.goto(`${base}unlock.html`);
    await page.locator("#pre-start").focus();
    await page.keyboard.press("Enter");
    await page.locator("#h-organization").waitFor();
    await page.locator("#h-organization").focus();
    const order = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => document.activeElement.id));
    }
    assert.deepEqual(order, ["h-name", "h-idType", "h-idNumber", "h-phone", "id-back", "id-next"]);
    await page.locator("#h-name").focus();
    await page.keyboard.type("张三");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.type("44030519900101123X");
    await page.keyboard.press("Tab");
    await page.keyboard.type("13800138000");
    await page.keyboard.press("Enter");
    await page.locator("#sms-code").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), "step-title", "focus moves to the new step's heading");
  });
});

test("no page errors on the mock", { skip }, () => assert.deepEqual(errors, []));
