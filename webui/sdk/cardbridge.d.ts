// TypeScript declarations of the cardbridge JS SDK (cardbridge.js / cardbridge.mjs). Contract: docs/api.md.

export type Reason =
  | "PARSE_ERROR" | "INVALID_REQUEST" | "METHOD_NOT_FOUND" | "INVALID_PARAMS" | "NOT_ALLOWED" | "RATE_LIMITED"
  | "TOO_MANY_PENDING" | "INTERNAL" | "PCSC_UNAVAILABLE" | "NO_READER" | "READER_UNAVAILABLE" | "CARD_ABSENT"
  | "CARD_REMOVED" | "CARD_BUSY" | "CARD_UNRESPONSIVE" | "CARD_UNSUPPORTED" | "CARD_ERROR" | "TIMEOUT"
  | "PIN_INCORRECT" | "PIN_BLOCKED" | "PIN_POLICY" | "PUK_INCORRECT" | "PUK_BLOCKED" | "CERT_NOT_FOUND"
  | "AUTHORITY_NOT_CONFIGURED" | "AUTHORITY_UNREACHABLE" | "AUTHORITY_UNTRUSTED" | "AUTHORITY_ERROR"
  | "FLOW_NOT_FOUND" | "CARD_CHANGED" | "WRONG_STATE" | "CERT_EXPIRED" | "CERT_NOT_YET_VALID" | "CERT_UNKNOWN"
  | "CARD_MISMATCH" | "FORM_INVALID" | "CODE_INCORRECT" | "CODE_EXPIRED" | "CODE_NOT_SENT" | "CODE_LOCKED"
  | "CODE_COOLDOWN" | "DAILY_CAP" | "SMS_UNAVAILABLE" | "ATTACHMENT_TOO_LARGE" | "ATTACHMENT_TYPE"
  | "ATTACHMENTS_MISSING" | "APPROVAL_EXPIRED" | "REQUEST_NOT_FOUND" | "PIN_LAST_TRY" | "PUK_MISMATCH";

/** Reasons raised by the SDK itself, never by the daemon. */
export type ClientReason =
  | "DAEMON_UNAVAILABLE" | "REQUIRES_UPDATE" | "CONNECTION_LOST" | "REQUEST_TIMEOUT" | "ABORTED" | "UPLOAD_FAILED";

export interface CardBridgeError extends Error {
  name: "CardBridgeError";
  /** Stable reason: show text for it (webui/js/reasons.js), never `message`. */
  reason: Reason | ClientReason | string;
  /** The daemon's data object (retriesLeft, triesLeft, retryAfter, violation, fields, missing, …). */
  data: { reason?: string; [key: string]: unknown };
  /** JSON-RPC code (-32000 …), the HTTP status for uploads, 0 for SDK reasons. */
  code: number;
  /** True for REQUIRES_UPDATE. */
  requiresUpdate?: boolean;
  /** For REQUIRES_UPDATE: options.downloadUrl. */
  downloadUrl?: string | null;
}
export const CardBridgeError: {
  new (reason: string, message?: string, data?: object, code?: number): CardBridgeError;
  (reason: string, message?: string, data?: object, code?: number): CardBridgeError;
  prototype: CardBridgeError;
};

export interface ClientOptions {
  /** "127.0.0.1" by default; the bundled UI passes location.hostname. */
  host?: string;
  /** [23443, 23444, 23445] by default; tried in order. */
  ports?: number[];
  /** Oldest daemon version accepted; older → REQUIRES_UPDATE. */
  minVersion?: string;
  /** Where users download cardbridge (put into DAEMON_UNAVAILABLE and REQUIRES_UPDATE errors' data). */
  downloadUrl?: string;
  /** ms per request (default 30000). */
  requestTimeout?: number;
  /** ms per request for unlock.* methods that wait for the authority (default 150000). */
  slowRequestTimeout?: number;
  /** ms per port for open + system.hello (default 4000). */
  connectTimeout?: number;
  /** Reconnect with backoff after a lost connection (default true). */
  reconnect?: boolean;
  reconnectMinDelay?: number;
  reconnectMaxDelay?: number;
  /** Requests on the wire at once (default 8, the daemon's limit); more wait in the SDK. */
  maxPending?: number;
  /** WebSocket class (default globalThis.WebSocket). */
  WebSocket?: unknown;
  /** "wss" (default) or "ws" for tests. */
  scheme?: "wss" | "ws";
}

export interface Hello {
  product: "cardbridge";
  version: string;
  protocol: number;
  port: number;
  origin: string;
  capabilities: Array<"read" | "startUnlock" | "secrets">;
  methods: string[];
}

export interface Reader { name: string; cardPresent: boolean; cardError?: Reason; }

export interface Name {
  text: string; cn?: string; o?: string; ou?: string; c?: string; st?: string; l?: string;
  serialNumber?: string; emailAddress?: string;
  attributes: Array<{ type: string; oid: string; value: string }>;
}

export interface Certificate {
  slot: string;
  status: "valid" | "expired" | "notYetValid" | "unreadable";
  sha256: string;
  subject?: Name;
  issuer?: Name;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  publicKey?: { algorithm: string; curve?: string; bits?: number };
  signatureAlgorithm?: string;
  keyUsage?: string[];
  extendedKeyUsage?: string[];
  isCa?: boolean;
  pem?: string;
}

export interface PinState { state: "ok" | "verified" | "blocked" | "unknown"; retriesLeft?: number; }

export interface Card {
  reader: string;
  cardId: string;
  atr: string;
  serial?: number;
  version?: string;
  pin: PinState;
  certificates: Certificate[];
}

export type UnlockStep =
  | "identify" | "sms" | "attachments" | "in_review" | "approved" | "rejected" | "withdrawn" | "expired"
  | "done" | "ended";

export type AttachmentKind = "application_form" | "business_license" | "handler_id";

export interface Attachment {
  kind: AttachmentKind; contentType: string; size: number; sha256: string; uploadedAt: string;
}

export interface Flow {
  flowId: string;
  step: UnlockStep;
  reader: string;
  cardId: string;
  cardSerial?: string;
  certificate: { slot: string; subject: string; serialNumber: string; notBefore: string; notAfter: string; sha256: string };
  pin: PinState;
  wizardUrl: string;
  route?: "sms" | "review";
  requestId?: string;
  maskedPhone?: string;
  submittedAt?: string;
  dueDate?: string;
  dueIsEstimate?: boolean;
  rejectReason?: string;
  authorisedUntil?: string;
  attachments?: Attachment[];
  pinFromEarlierAttempt?: boolean;
  authoritySyncPending?: boolean;
}

export interface Handler { organization: string; name: string; idType: string; idNumber: string; phone: string; }

export interface ApplicationForm {
  requestId: string; createdDate: string; certificateSubject: string; certificateCommonName: string;
  certificateSerial: string; certificateIssuer: string; notBefore: string; notAfter: string;
  organization: string; uscc?: string; handlerName: string; handlerIdType: string; maskedIdNumber: string;
  maskedPhone: string; cardSerial: string;
}

export interface Progress { loaded: number; total: number; fraction: number; }

export interface Events {
  connected: Hello;
  disconnected: { code?: number; reason?: string };
  reconnecting: { attempt: number; delay: number };
  "reader.added": { reader: string };
  "reader.removed": { reader: string };
  "card.inserted": { reader: string; card: Card | null; error?: Reason };
  "card.removed": { reader: string };
  "card.pinChanged": { reader: string; cardId: string; pin: PinState };
  "unlock.statusChanged": {
    flowId?: string; cardId: string; requestId?: string; step: UnlockStep; dueDate?: string;
    rejectReason?: string; authorisedUntil?: string; reason?: "CARD_CHANGED";
  };
  notification: { method: string; params: unknown };
}

export class Client {
  constructor(options?: ClientOptions);
  readonly options: Required<ClientOptions>;
  /** system.hello of the current connection, or null. */
  hello: Hello | null;
  port: number | null;
  state: "idle" | "connecting" | "open" | "reconnecting" | "closed";

  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): () => void;
  once<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): () => void;
  off<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): void;

  /** Connects to the first port whose system.hello says cardbridge; DAEMON_UNAVAILABLE / REQUIRES_UPDATE. */
  connect(): Promise<Hello>;
  /** Closes and stops reconnecting. */
  close(): void;
  /** Any method; never retried by the SDK. */
  call<T = unknown>(method: string, params?: object, options?: { timeout?: number }): Promise<T>;
  /** https://127.0.0.1:PORT of the current connection. */
  daemonOrigin(): string;

  systemHello(): Promise<Hello>;
  listReaders(): Promise<Reader[]>;
  listCards(): Promise<Card[]>;
  exportCertificate(p: { reader: string; slot: string; format?: "pem" | "der" }): Promise<{ format: "pem" | "der"; data: string }>;
  /** Needs the `secrets` capability (the bundled UI). confirmLastTry: the user agreed to spend the last try. */
  changePin(p: { reader: string; oldPin: string; newPin: string; confirmLastTry?: boolean }): Promise<{ ok: true; retriesLeft?: number }>;
  beginUnlock(p: { reader: string; slot?: string }): Promise<Flow>;
  identify(flowId: string, handler: Handler): Promise<Flow>;
  sendCode(flowId: string): Promise<{ maskedPhone: string; expiresAt: string; resendAfterSeconds: number }>;
  resetWithCode(flowId: string, code: string, newPin: string): Promise<Flow>;
  submit(flowId: string): Promise<Flow>;
  unlockStatus(flowId: string): Promise<Flow>;
  withdraw(flowId: string): Promise<Flow>;
  applicationForm(flowId: string): Promise<ApplicationForm>;
  resetApproved(flowId: string, newPin: string): Promise<Flow>;
  /** HTTPS PUT to the daemon; only from the daemon's own origin. */
  uploadAttachment(flowId: string, kind: AttachmentKind, file: Blob, onProgress?: (p: Progress) => void,
                   options?: { signal?: AbortSignal; timeout?: number }): Promise<Attachment>;
  /** Starts 忘记密码 (unlock.begin) and opens the bundled wizard; call from a click handler. */
  openUnlockWizard(p: { reader: string; slot?: string }, options?: { sameTab?: boolean }): Promise<Flow>;
}

export const version: string;
export const DEFAULT_PORTS: number[];
export const ATTACHMENT_KINDS: AttachmentKind[];
export const MAX_ATTACHMENT_BYTES: number;
export const CLIENT_REASONS: Record<ClientReason, string>;
export function compareVersions(a: string, b: string): -1 | 0 | 1;
export function sniffType(firstBytes: Uint8Array): string | null;
/** Size and magic-byte check before an upload; rejects with ATTACHMENT_TOO_LARGE / ATTACHMENT_TYPE. */
export function checkAttachment(file: Blob): Promise<{ contentType: string; size: number }>;
export function errorFromRpc(error: { code: number; message?: string; data?: object }): CardBridgeError;
/** new Client(options) + connect(). */
export function connect(options?: ClientOptions): Promise<Client>;

declare const CardBridge: {
  version: string; Client: typeof Client; CardBridgeError: typeof CardBridgeError;
  CLIENT_REASONS: typeof CLIENT_REASONS; DEFAULT_PORTS: number[]; ATTACHMENT_KINDS: AttachmentKind[];
  MAX_ATTACHMENT_BYTES: number; compareVersions: typeof compareVersions; sniffType: typeof sniffType;
  checkAttachment: typeof checkAttachment; errorFromRpc: typeof errorFromRpc; connect: typeof connect;
};
export default CardBridge;

declare global {
  /** Set by the classic <script src=".../cardbridge.js">. */
  // eslint-disable-next-line no-var
  var CardBridge: typeof import("./cardbridge").default;
}
