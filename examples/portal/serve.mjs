#!/usr/bin/env node
// Serves the example portal from a second origin, as the platform would: examples/portal/ at /, and the
// SDK (webui/sdk/) at /sdk/. HTTPS when given a certificate, else plain HTTP on localhost.
//
//   node examples/portal/serve.mjs                       http://localhost:8080/
//   node examples/portal/serve.mjs --port 8443 --cert c.pem --key k.pem    https://…:8443/
//   --daemon-ports 23443,23444,23445    the ports the page's CSP lets it reach (connect-src wss://127.0.0.1:…)
//
// Add the origin to cardbridged's config (docs/config.md), e.g. "platformOrigins": ["http://localhost:8080"], with
// "development": {"allowHttpLoopbackOrigins": true} (plain http is refused without that development switch).
import http from "node:http";
import https from "node:https";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const sdk = path.resolve(here, "../../webui/sdk");
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const port = Number(opt("port", 8080));
const host = opt("host", "127.0.0.1");
const daemonPorts = String(opt("daemon-ports", "23443,23444,23445")).split(",").map(Number).filter(Boolean);
const csp = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
  `connect-src 'self' ${daemonPorts.map((p) => `wss://127.0.0.1:${p}`).join(" ")}`].join("; ");
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

function handler(req, res) {
  const url = new URL(req.url, "http://x");
  let file = url.pathname === "/" ? "/index.html" : url.pathname;
  const rootDir = file.startsWith("/sdk/") ? sdk : here;
  if (file.startsWith("/sdk/")) file = file.slice(4);
  const full = path.resolve(rootDir, "." + path.posix.normalize(file));
  if (!full.startsWith(rootDir + path.sep) || full.endsWith(".mjs") && rootDir === here) { res.writeHead(404); res.end(); return; }
  try {
    statSync(full);
    res.writeHead(200, { "Content-Type": types[path.extname(full)] || "application/octet-stream", "Cache-Control": "no-store",
      "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff" });
    res.end(readFileSync(full));
  } catch {
    res.writeHead(404); res.end("not found\n");
  }
}

const cert = opt("cert"), key = opt("key");
const server = cert ? https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, handler) : http.createServer(handler);
server.listen(port, host, () => console.log(`example portal on ${cert ? "https" : "http"}://${host === "127.0.0.1" ? "localhost" : host}:${port}/`));
