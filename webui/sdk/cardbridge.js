/*! cardbridge JS SDK — talks to the local cardbridged over wss://127.0.0.1:23443 (docs/api.md, docs/sdk.md).
 *
 * One implementation file, no dependencies. It works three ways:
 *   - classic script:  <script src="https://127.0.0.1:23443/sdk/cardbridge.js"></script>  → global `CardBridge`
 *   - ES module:       import { CardBridge } from "./cardbridge.mjs"  (a five-line wrapper that imports this
 *                      file for its side effect and re-exports the global)
 *   - CommonJS/Node:   require("./cardbridge.js")  (module.exports), for tests; pass `WebSocket` in options.
 * The file is written so that it is valid both as a classic script and as a module (strict, no top-level
 * `this`, no `export`), which is what lets the .mjs wrapper import it.
 */
(function (root) {
  "use strict";

  var VERSION = "0.1.0";
  var DEFAULT_PORTS = [23443, 23444, 23445];
  var ATTACHMENT_KINDS = ["application_form", "business_license", "handler_id"];
  var MAX_ATTACHMENT_BYTES = 1048576;
  // Methods that wait for the authority (connect 10 s + request 30 s, with retries) get a long deadline.
  var SLOW_METHODS = {
    "unlock.begin": 1, "unlock.identify": 1, "unlock.sendCode": 1, "unlock.resetWithCode": 1,
    "unlock.submit": 1, "unlock.status": 1, "unlock.withdraw": 1, "unlock.applicationForm": 1,
    "unlock.resetApproved": 1
  };

  /** An error with a stable reason (docs/api.md §7, or one of the SDK's own: see CLIENT_REASONS). */
  function CardBridgeError(reason, message, data, code) {
    var err = new Error(message || reason);
    Object.setPrototypeOf(err, CardBridgeError.prototype);
    err.name = "CardBridgeError";
    err.reason = reason;
    err.data = data || {};
    err.code = typeof code === "number" ? code : 0;
    if (reason === "REQUIRES_UPDATE") {
      err.requiresUpdate = true;
      err.downloadUrl = err.data.downloadUrl || null;
    }
    return err;
  }
  CardBridgeError.prototype = Object.create(Error.prototype, {
    constructor: { value: CardBridgeError, writable: true, configurable: true }
  });

  /** Reasons the SDK itself raises (never sent by the daemon). */
  var CLIENT_REASONS = {
    DAEMON_UNAVAILABLE: "no port answered as cardbridge (not installed, not running, or its local root not trusted)",
    REQUIRES_UPDATE: "the daemon is older than minVersion; data.downloadUrl says where to get a new one",
    CONNECTION_LOST: "the connection closed before the answer came; the request may or may not have run",
    REQUEST_TIMEOUT: "no answer within the request's timeout; the request may or may not have run",
    ABORTED: "the caller aborted (close() or an AbortSignal)",
    UPLOAD_FAILED: "the attachment upload failed at the network level"
  };

  /** -1, 0 or 1 comparing dotted numeric versions ("0.10.2" > "0.9"). Pre-release suffixes are ignored. */
  function compareVersions(a, b) {
    var pa = String(a).split(/[.+-]/), pb = String(b).split(/[.+-]/);
    for (var i = 0; i < 3; i++) {
      var x = parseInt(pa[i], 10) || 0, y = parseInt(pb[i], 10) || 0;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }

  /** The SDK's error for a JSON-RPC error object. */
  function errorFromRpc(error) {
    var data = (error && typeof error.data === "object" && error.data) || {};
    var reason = data.reason;
    if (!reason) {
      reason = { "-32700": "PARSE_ERROR", "-32600": "INVALID_REQUEST", "-32601": "METHOD_NOT_FOUND",
                 "-32602": "INVALID_PARAMS", "-32603": "INTERNAL" }[String(error && error.code)] || "INTERNAL";
    }
    return CardBridgeError(reason, error && error.message, data, error && error.code);
  }

  /** The content type an attachment's first bytes say it is, or null (docs/api.md: by magic bytes). */
  function sniffType(bytes) {
    var b = bytes;
    var starts = function (sig) {
      if (b.length < sig.length) return false;
      for (var i = 0; i < sig.length; i++) if (b[i] !== sig[i]) return false;
      return true;
    };
    if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
    if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
    if (starts([0x47, 0x49, 0x46, 0x38, 0x37, 0x61]) || starts([0x47, 0x49, 0x46, 0x38, 0x39, 0x61])) return "image/gif";
    if (starts([0x42, 0x4d])) return "image/bmp";
    if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return "application/pdf";
    return null;
  }

  /**
   * Checks a file before upload, as the daemon will: size ≤ 1,048,576 bytes and a JPEG/PNG/GIF/BMP/PDF by
   * its first bytes. Resolves {contentType}; rejects with ATTACHMENT_TOO_LARGE or ATTACHMENT_TYPE.
   */
  function checkAttachment(file) {
    if (!file || typeof file.size !== "number") {
      return Promise.reject(CardBridgeError("ATTACHMENT_TYPE", "not a file"));
    }
    if (file.size > MAX_ATTACHMENT_BYTES) {
      return Promise.reject(CardBridgeError("ATTACHMENT_TOO_LARGE", "file over the limit", { limit: MAX_ATTACHMENT_BYTES, size: file.size }));
    }
    if (file.size === 0) return Promise.reject(CardBridgeError("ATTACHMENT_TYPE", "empty file"));
    return file.slice(0, 8).arrayBuffer().then(function (buf) {
      var type = sniffType(new Uint8Array(buf));
      if (!type) throw CardBridgeError("ATTACHMENT_TYPE", "not a jpg, png, gif, bmp or pdf");
      return { contentType: type, size: file.size };
    });
  }

  /** A minimal event emitter: on() returns an unsubscribe function. */
  function Emitter() { this._handlers = {}; }
  Emitter.prototype.on = function (event, fn) {
    (this._handlers[event] = this._handlers[event] || []).push(fn);
    var self = this;
    return function () { self.off(event, fn); };
  };
  Emitter.prototype.off = function (event, fn) {
    var list = this._handlers[event];
    if (list) this._handlers[event] = list.filter(function (h) { return h !== fn; });
  };
  Emitter.prototype.once = function (event, fn) {
    var off = this.on(event, function (x) { off(); fn(x); });
    return off;
  };
  Emitter.prototype.emit = function (event, payload) {
    var list = (this._handlers[event] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try { list[i](payload); } catch (e) { if (root.console) root.console.error(e); }
    }
  };

  /**
   * The connection to cardbridged. Options (all optional):
   *   host            "127.0.0.1" (a page served by the daemon passes location.hostname)
   *   ports           [23443, 23444, 23445], tried in order
   *   minVersion      e.g. "0.2.0": an older daemon gives REQUIRES_UPDATE
   *   downloadUrl     where users get cardbridge (put into DAEMON_UNAVAILABLE and REQUIRES_UPDATE errors)
   *   requestTimeout  ms per request (default 30000; unlock methods that wait for the authority: 150000)
   *   connectTimeout  ms per port for open + system.hello (default 4000)
   *   reconnect       true: after a lost connection, reconnect with backoff (0.5 s doubling to 15 s)
   *   maxPending      8: requests sent at once; more wait in the SDK (the daemon refuses more than 8)
   *   WebSocket       the WebSocket class (default: the global one)
   *   scheme          "wss" (tests against a plain server may pass "ws")
   */
  function Client(options) {
    if (!(this instanceof Client)) return new Client(options);
    Emitter.call(this);
    var o = options || {};
    this.options = {
      host: o.host || "127.0.0.1",
      ports: (o.ports && o.ports.length ? o.ports : DEFAULT_PORTS).map(Number),
      minVersion: o.minVersion || null,
      downloadUrl: o.downloadUrl || null,
      requestTimeout: o.requestTimeout || 30000,
      slowRequestTimeout: o.slowRequestTimeout || 150000,
      connectTimeout: o.connectTimeout || 4000,
      reconnect: o.reconnect !== false,
      reconnectMinDelay: o.reconnectMinDelay || 500,
      reconnectMaxDelay: o.reconnectMaxDelay || 15000,
      maxPending: o.maxPending || 8,
      WebSocket: o.WebSocket || root.WebSocket,
      scheme: o.scheme || "wss"
    };
    this.hello = null;          // system.hello result of the current connection
    this.port = null;           // port of the current connection
    this.state = "idle";        // idle | connecting | open | reconnecting | closed
    this._ws = null;
    this._nextId = 1;
    this._pending = {};         // id → {resolve, reject, timer, method}
    this._inFlight = 0;
    this._queue = [];           // requests waiting for a free slot
    this._connecting = null;    // promise of the running connect
    this._retryTimer = null;
    this._attempt = 0;
    this._closedByUser = false;
  }
  Client.prototype = Object.create(Emitter.prototype);
  Client.prototype.constructor = Client;

  /** Opens one WebSocket and asks system.hello; resolves {ws, hello} or rejects. */
  Client.prototype._tryPort = function (port) {
    var self = this, WS = this.options.WebSocket;
    var host = this.options.host;
    if (host.indexOf(":") >= 0 && host.charAt(0) !== "[") host = "[" + host + "]";
    var url = this.options.scheme + "://" + host + ":" + port + "/";
    return new Promise(function (resolve, reject) {
      var ws, done = false;
      try { ws = new WS(url); } catch (e) { reject(e); return; }
      var timer = setTimeout(function () { finish(new Error("timeout")); }, self.options.connectTimeout);
      function finish(err, hello) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        if (err) { try { ws.close(); } catch (e) { /* already closed */ } reject(err); }
        else resolve({ ws: ws, hello: hello });
      }
      ws.onerror = function () { finish(new Error("error")); };
      ws.onclose = function () { finish(new Error("closed")); };
      ws.onopen = function () {
        ws.send(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "system.hello" }));
      };
      ws.onmessage = function (ev) {
        var msg;
        try { msg = JSON.parse(ev.data); } catch (e) { finish(new Error("not json")); return; }
        if (msg.id !== 0) return;
        if (msg.result && msg.result.product === "cardbridge") finish(null, msg.result);
        else finish(new Error("not cardbridge"));
      };
    });
  };

  /** Connects (first port whose system.hello says cardbridge). Resolves the hello result. */
  Client.prototype.connect = function () {
    var self = this;
    if (this.state === "open") return Promise.resolve(this.hello);
    if (this._connecting) return this._connecting;
    this._closedByUser = false;
    if (this._retryTimer) { clearTimeout(this._retryTimer); this._retryTimer = null; }
    if (!this.options.WebSocket) {
      return Promise.reject(CardBridgeError("DAEMON_UNAVAILABLE", "no WebSocket implementation"));
    }
    if (this.state !== "reconnecting") this.state = "connecting";
    var ports = this.options.ports.slice();
    var p = (function next(i) {
      if (i >= ports.length) {
        throw CardBridgeError("DAEMON_UNAVAILABLE", "cardbridge did not answer on ports " + ports.join(", "),
          { ports: ports, downloadUrl: self.options.downloadUrl });
      }
      return self._tryPort(ports[i]).then(function (r) { return r; }, function () { return next(i + 1); });
    })(0).then(function (r) {
      var min = self.options.minVersion;
      if (min && compareVersions(r.hello.version, min) < 0) {
        try { r.ws.close(1000); } catch (e) { /* ignore */ }
        throw CardBridgeError("REQUIRES_UPDATE", "cardbridge " + r.hello.version + " is older than " + min,
          { version: r.hello.version, minVersion: min, downloadUrl: self.options.downloadUrl });
      }
      self._adopt(r.ws, r.hello);
      return r.hello;
    });
    this._connecting = p.then(function (hello) { self._connecting = null; return hello; },
      function (err) {
        self._connecting = null;
        if (self.state !== "open") self.state = "closed";
        if (err.reason !== "REQUIRES_UPDATE" && self.options.reconnect && self._everOpened && !self._closedByUser) {
          self._scheduleReconnect();
        }
        throw err;
      });
    return this._connecting;
  };

  Client.prototype._adopt = function (ws, hello) {
    var self = this;
    this._ws = ws;
    this.hello = hello;
    this.port = hello.port || null;
    this.state = "open";
    this._attempt = 0;
    this._everOpened = true;
    ws.onmessage = function (ev) { self._onMessage(ev.data); };
    ws.onerror = function () { /* onclose follows */ };
    ws.onclose = function (ev) { self._onClose(ev); };
    this.emit("connected", hello);
    this._pump();
  };

  Client.prototype._onMessage = function (text) {
    var msg;
    try { msg = JSON.parse(text); } catch (e) { return; }
    if (msg && msg.method && msg.id === undefined) {
      this.emit(msg.method, msg.params || {});
      this.emit("notification", { method: msg.method, params: msg.params || {} });
      return;
    }
    var entry = msg && this._pending[msg.id];
    if (!entry) return;
    this._settle(msg.id);
    if (msg.error) entry.reject(errorFromRpc(msg.error));
    else entry.resolve(msg.result);
  };

  Client.prototype._settle = function (id) {
    var entry = this._pending[id];
    if (!entry) return;
    clearTimeout(entry.timer);
    delete this._pending[id];
    this._inFlight--;
    this._pump();
  };

  Client.prototype._onClose = function (ev) {
    var wasOpen = this.state === "open";
    this._ws = null;
    this.state = "closed";
    // Requests sent on this connection are never replayed: a PIN command may have reached the card.
    var ids = Object.keys(this._pending);
    for (var i = 0; i < ids.length; i++) {
      var entry = this._pending[ids[i]];
      this._settle(ids[i]);
      entry.reject(CardBridgeError("CONNECTION_LOST", "connection closed during " + entry.method, { method: entry.method }));
    }
    if (wasOpen) this.emit("disconnected", { code: ev && ev.code, reason: ev && ev.reason });
    if (!this._closedByUser && this.options.reconnect) this._scheduleReconnect();
  };

  Client.prototype._scheduleReconnect = function () {
    var self = this;
    if (this._retryTimer || this._connecting) return;
    var o = this.options;
    var delay = Math.min(o.reconnectMaxDelay, o.reconnectMinDelay * Math.pow(2, this._attempt));
    delay = Math.round(delay * (0.8 + 0.4 * Math.random()));
    this._attempt++;
    this.state = "reconnecting";
    this.emit("reconnecting", { attempt: this._attempt, delay: delay });
    this._retryTimer = setTimeout(function () {
      self._retryTimer = null;
      self.connect().catch(function () { /* connect() schedules the next try */ });
    }, delay);
  };

  /** Closes the connection and stops reconnecting; pending requests fail with ABORTED. */
  Client.prototype.close = function () {
    this._closedByUser = true;
    if (this._retryTimer) { clearTimeout(this._retryTimer); this._retryTimer = null; }
    var q = this._queue; this._queue = [];
    for (var i = 0; i < q.length; i++) q[i].reject(CardBridgeError("ABORTED", "closed"));
    var ids = Object.keys(this._pending);
    for (var j = 0; j < ids.length; j++) {
      var entry = this._pending[ids[j]];
      this._settle(ids[j]);
      entry.reject(CardBridgeError("ABORTED", "closed"));
    }
    if (this._ws) { var ws = this._ws; this._ws = null; try { ws.close(1000); } catch (e) { /* ignore */ } }
    var wasOpen = this.state === "open";
    this.state = "idle";
    if (wasOpen) this.emit("disconnected", { code: 1000, reason: "closed by client" });
  };

  /**
   * Calls a method. Options: {timeout} in ms. Rejects with CardBridgeError (daemon reasons, or
   * DAEMON_UNAVAILABLE / REQUIRES_UPDATE / CONNECTION_LOST / REQUEST_TIMEOUT). Never retried by the SDK.
   */
  Client.prototype.call = function (method, params, callOptions) {
    var self = this;
    var timeout = (callOptions && callOptions.timeout) ||
      (SLOW_METHODS[method] ? this.options.slowRequestTimeout : this.options.requestTimeout);
    return this.connect().then(function () {
      return new Promise(function (resolve, reject) {
        self._queue.push({ method: method, params: params, timeout: timeout, resolve: resolve, reject: reject });
        self._pump();
      });
    });
  };

  Client.prototype._pump = function () {
    while (this.state === "open" && this._queue.length && this._inFlight < this.options.maxPending) {
      var req = this._queue.shift();
      var id = this._nextId++;
      var msg = { jsonrpc: "2.0", id: id, method: req.method };
      if (req.params !== undefined && req.params !== null) msg.params = req.params;
      var self = this;
      this._pending[id] = {
        method: req.method, resolve: req.resolve, reject: req.reject,
        timer: setTimeout((function (id, req) {
          return function () {
            var entry = self._pending[id];
            if (!entry) return;
            self._settle(id);
            entry.reject(CardBridgeError("REQUEST_TIMEOUT", req.method + " got no answer within " + req.timeout + " ms",
              { method: req.method, timeout: req.timeout }));
          };
        })(id, req), req.timeout)
      };
      this._inFlight++;
      try {
        this._ws.send(JSON.stringify(msg));
      } catch (e) {
        var entry = this._pending[id];
        this._settle(id);
        entry.reject(CardBridgeError("CONNECTION_LOST", "send failed", { method: req.method }));
      }
    }
  };

  // ---- one helper per method of docs/api.md ----

  Client.prototype.systemHello = function () { return this.call("system.hello"); };
  Client.prototype.listReaders = function () { return this.call("readers.list"); };
  Client.prototype.listCards = function () { return this.call("cards.list"); };
  /** {reader, slot, format: "pem"|"der"} → {format, data}. */
  Client.prototype.exportCertificate = function (p) {
    return this.call("certificates.export", { reader: p.reader, slot: p.slot, format: p.format || "pem" });
  };
  /**
   * {reader, oldPin, newPin, confirmLastTry?} → {ok, retriesLeft?}. Set confirmLastTry only after the user
   * agreed to spend the PIN's last try (the daemon refuses a PIN call at one try left without it).
   */
  Client.prototype.changePin = function (p) {
    var params = { reader: p.reader, oldPin: p.oldPin, newPin: p.newPin };
    if (p.confirmLastTry) params.confirmLastTry = true;
    return this.call("pin.change", params);
  };
  Client.prototype.beginUnlock = function (p) {
    var params = { reader: p.reader };
    if (p.slot) params.slot = p.slot;
    return this.call("unlock.begin", params);
  };
  Client.prototype.identify = function (flowId, handler) {
    return this.call("unlock.identify", { flowId: flowId, handler: handler });
  };
  Client.prototype.sendCode = function (flowId) { return this.call("unlock.sendCode", { flowId: flowId }); };
  Client.prototype.resetWithCode = function (flowId, code, newPin) {
    return this.call("unlock.resetWithCode", { flowId: flowId, code: code, newPin: newPin });
  };
  Client.prototype.submit = function (flowId) { return this.call("unlock.submit", { flowId: flowId }); };
  Client.prototype.unlockStatus = function (flowId) { return this.call("unlock.status", { flowId: flowId }); };
  Client.prototype.withdraw = function (flowId) { return this.call("unlock.withdraw", { flowId: flowId }); };
  Client.prototype.applicationForm = function (flowId) {
    return this.call("unlock.applicationForm", { flowId: flowId });
  };
  Client.prototype.resetApproved = function (flowId, newPin) {
    return this.call("unlock.resetApproved", { flowId: flowId, newPin: newPin });
  };

  /** The daemon's https origin of the current connection (uploads and the wizard live there). */
  Client.prototype.daemonOrigin = function () {
    var host = this.options.host;
    if (host.indexOf(":") >= 0 && host.charAt(0) !== "[") host = "[" + host + "]";
    var scheme = this.options.scheme === "ws" ? "http" : "https";
    return scheme + "://" + host + ":" + (this.port || this.options.ports[0]);
  };

  /**
   * Uploads an attachment of the review route with an HTTPS PUT to the daemon (browser only, and only
   * from the daemon's own origin: the daemon refuses other origins). onProgress({loaded, total, fraction}).
   * options: {signal: AbortSignal, timeout: ms (default 120000)}. Resolves the daemon's JSON answer
   * {kind, contentType, size, sha256, uploadedAt}; rejects with CardBridgeError (reason from the daemon,
   * code = HTTP status) or UPLOAD_FAILED / REQUEST_TIMEOUT / ABORTED.
   */
  Client.prototype.uploadAttachment = function (flowId, kind, file, onProgress, options) {
    var self = this, o = options || {};
    if (ATTACHMENT_KINDS.indexOf(kind) < 0) {
      return Promise.reject(CardBridgeError("INVALID_PARAMS", "unknown attachment kind", { param: "kind" }));
    }
    var XHR = root.XMLHttpRequest;
    if (!XHR) return Promise.reject(CardBridgeError("UPLOAD_FAILED", "XMLHttpRequest is not available"));
    return this.connect().then(function () {
      var origin = self.daemonOrigin();
      if (root.location && root.location.origin !== origin) {
        throw CardBridgeError("NOT_ALLOWED", "uploads work only from the daemon's own origin " + origin);
      }
      return new Promise(function (resolve, reject) {
        var xhr = new XHR();
        xhr.open("PUT", origin + "/unlock/" + encodeURIComponent(flowId) + "/attachments/" + kind);
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.timeout = o.timeout || 120000;
        if (onProgress && xhr.upload) {
          xhr.upload.onprogress = function (ev) {
            var total = ev.lengthComputable ? ev.total : file.size;
            onProgress({ loaded: ev.loaded, total: total, fraction: total ? ev.loaded / total : 0 });
          };
        }
        xhr.onload = function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
          if (xhr.status === 200 && body) {
            if (onProgress) onProgress({ loaded: file.size, total: file.size, fraction: 1 });
            resolve(body);
            return;
          }
          var err = (body && body.error) || {};
          var data = {};
          for (var k in err) if (k !== "reason" && k !== "message") data[k] = err[k];
          data.reason = err.reason || "UPLOAD_FAILED";
          reject(CardBridgeError(data.reason, err.message || ("HTTP " + xhr.status), data, xhr.status));
        };
        xhr.onerror = function () { reject(CardBridgeError("UPLOAD_FAILED", "network error during the upload")); };
        xhr.ontimeout = function () { reject(CardBridgeError("REQUEST_TIMEOUT", "upload timed out")); };
        xhr.onabort = function () { reject(CardBridgeError("ABORTED", "upload aborted")); };
        if (o.signal) {
          if (o.signal.aborted) { reject(CardBridgeError("ABORTED", "upload aborted")); return; }
          o.signal.addEventListener("abort", function () { xhr.abort(); });
        }
        xhr.send(file);
      });
    });
  };

  /**
   * For platform pages: starts 忘记密码 for the card in `reader` (unlock.begin) and opens the bundled
   * wizard. Call it from a click handler: a window is opened at once (so popup blockers allow it) and
   * sent to the wizard when the daemon answers. options: {sameTab: true} navigates this tab instead.
   * Resolves the flow object; on an error the blank window is closed and the error rethrown
   * (CERT_EXPIRED with data.offline → show the platform's offline procedure).
   */
  Client.prototype.openUnlockWizard = function (p, options) {
    var o = options || {};
    var win = null;
    if (!o.sameTab && root.open) {
      win = root.open("about:blank", "_blank");
    }
    return this.beginUnlock({ reader: p.reader, slot: p.slot }).then(function (flow) {
      if (win && !win.closed) {
        try { win.opener = null; } catch (e) { /* cross-origin already */ }
        win.location.href = flow.wizardUrl;
      } else if (root.location) {
        root.location.assign(flow.wizardUrl);
      }
      return flow;
    }, function (err) {
      if (win && !win.closed) win.close();
      throw err;
    });
  };

  var api = {
    version: VERSION,
    Client: Client,
    CardBridgeError: CardBridgeError,
    CLIENT_REASONS: CLIENT_REASONS,
    DEFAULT_PORTS: DEFAULT_PORTS.slice(),
    ATTACHMENT_KINDS: ATTACHMENT_KINDS.slice(),
    MAX_ATTACHMENT_BYTES: MAX_ATTACHMENT_BYTES,
    compareVersions: compareVersions,
    sniffType: sniffType,
    checkAttachment: checkAttachment,
    errorFromRpc: errorFromRpc,
    /** Shorthand: new Client(options) and connect(); resolves the client. */
    connect: function (options) {
      var c = new Client(options);
      return c.connect().then(function () { return c; });
    }
  };

  root.CardBridge = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : window);
