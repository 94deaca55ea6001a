// A portal page written in TypeScript against the ES module entry, as docs/sdk.md shows it. Type-checked by
// tests/web/types.test.mjs (tsc --strict); each @ts-expect-error must be an error, or the check fails.
import CardBridge, { Client, CardBridgeError, checkAttachment, compareVersions } from "../../../webui/sdk/cardbridge.mjs";
import type { Card, Flow, Reason, Events } from "../../../webui/sdk/cardbridge.mjs";

const client = new Client({ minVersion: "0.1.0", downloadUrl: "https://platform.example/cardbridge", ports: [23443] });

async function listCertificates(): Promise<string[]> {
  const hello = await client.connect();
  const caps: string[] = hello.capabilities;
  const cards: Card[] = await client.listCards();
  const out: string[] = caps.slice(0, 0);
  for (const card of cards) {
    for (const cert of card.certificates) {
      if (cert.status === "expired") continue;
      out.push(`${cert.subject?.cn ?? "?"} ${cert.serialNumber ?? ""} ${card.pin.retriesLeft ?? "-"}`);
    }
  }
  return out;
}

async function forgotPin(reader: string): Promise<Flow | null> {
  try {
    return await client.openUnlockWizard({ reader, slot: "9a" });
  } catch (e) {
    const error = e as CardBridgeError;
    const reason: Reason | string = error.reason;
    if (error.requiresUpdate) window.location.href = error.downloadUrl ?? "/";
    console.log(reason, error.data.retriesLeft);
    return null;
  }
}

const off = client.on("card.inserted", (p) => console.log(p.reader, p.card?.cardId));
off();
client.on("unlock.statusChanged", (p: Events["unlock.statusChanged"]) => console.log(p.step === "approved", p.dueDate));
client.once("connected", (hello) => console.log(hello.version));
const order: -1 | 0 | 1 = compareVersions("1.2.0", CardBridge.version);
void checkAttachment(new Blob([new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d])])).then((r) => r.contentType);
void listCertificates();
void forgotPin("Virtual PCD 00 00");
void order;

// Misuse the declarations must refuse:
// @ts-expect-error an event the SDK never emits
client.on("card.exploded", () => undefined);
// @ts-expect-error card.inserted carries a reader name, not a number
client.on("card.inserted", (p) => { const n: number = p.reader; return n; });
// @ts-expect-error changePin needs the old and the new PIN
void client.changePin({ reader: "R" });
// @ts-expect-error a reason the daemon does not have
const wrong: Reason = "PIN_FORGOTTEN";
void wrong;
// @ts-expect-error attachment kinds are a closed set
void client.uploadAttachment("f", "passport", new Blob([]));
