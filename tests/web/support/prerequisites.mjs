// What a test file needs from its environment. Run by hand, a file skips what is missing (`npm test` with
// no demo running); under tests/web/run.sh (CTest's `web` label, CARDBRIDGE_WEB_STRICT=1) a missing
// prerequisite is a failure, so CI never passes by skipping.
import { test } from "node:test";

/** Returns the skip reason (false when nothing is missing); under strict runs also adds a failing test. */
export function prerequisites(missing) {
  if (!missing) return false;
  if (process.env.CARDBRIDGE_WEB_STRICT === "1") {
    test("prerequisites", () => {
      throw new Error(`missing: ${missing}`);
    });
  }
  return missing;
}
