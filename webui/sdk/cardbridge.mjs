// ES module entry of the cardbridge SDK: `import { CardBridge, Client } from "./cardbridge.mjs"`.
// The implementation is cardbridge.js (valid as a classic script and as a module); importing it runs it,
// and it sets globalThis.CardBridge, which this wrapper re-exports.
import "./cardbridge.js";

export const CardBridge = globalThis.CardBridge;
export const { Client, CardBridgeError, checkAttachment, compareVersions, sniffType } = CardBridge;
export default CardBridge;
