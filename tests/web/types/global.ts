// A page that loads the SDK as a classic <script src="…/cardbridge.js">: the global CardBridge.
/// <reference path="../../../webui/sdk/cardbridge.d.ts" />
export {};

const client = new CardBridge.Client({ reconnect: true });
client.on("reader.added", (p) => console.log(p.reader.toUpperCase()));
void CardBridge.connect({ ports: CardBridge.DEFAULT_PORTS }).then((c) => c.listReaders()).then((readers) => {
  for (const r of readers) console.log(r.name, r.cardPresent);
});
const max: number = CardBridge.MAX_ATTACHMENT_BYTES;
void max;
// @ts-expect-error the global has no such member
CardBridge.openWizard();
