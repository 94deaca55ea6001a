#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (run again after changing it; the files are
committed; inputs found by fuzzing that are worth keeping sit beside them, e.g. piv/wrong-pin-6300).
Python standard library plus the openssl command, which mints two throwaway certificates: their
keys live in a temporary folder that is deleted, only the public certificates are kept."""
import base64
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def tlv(tag, value):
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return tag_bytes + length + value


def certificates():
    """Two public certificates (EC P-256 with a Chinese CN, RSA-2048 with key usages), DER."""
    folder = tempfile.mkdtemp()
    try:
        out = []
        for name, args in (
            ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-subj",
                    "/C=CN/O=深圳市某某医疗器械有限公司/CN=张三", "-utf8",
                    "-addext", "keyUsage=critical,digitalSignature,nonRepudiation"]),
            ("rsa", ["-newkey", "rsa:2048", "-subj", "/C=CN/ST=广东/L=深圳/O=Fuzz CA/CN=Fuzz Leaf",
                     "-utf8", "-addext", "extendedKeyUsage=clientAuth,emailProtection",
                     "-addext", "basicConstraints=critical,CA:FALSE"]),
        ):
            key = os.path.join(folder, name + ".key")
            pem = os.path.join(folder, name + ".pem")
            subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "365", "-keyout", key, "-out", pem]
                           + args, check=True, capture_output=True)
            der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], check=True,
                                 capture_output=True).stdout
            out.append((name, der, open(pem).read()))
        return out
    finally:
        shutil.rmtree(folder)


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def responses(*items):
    """The piv target's script: each response as a 2-byte length and its bytes."""
    return b"".join(struct.pack(">H", len(r)) + r for r in items)


def main():
    # Files this script does not write (inputs a fuzzing run found, kept as seeds) are left alone.
    certs = certificates()
    ec_der, rsa_der = certs[0][1], certs[1][1]
    ok = b"\x90\x00"

    cert_object = tlv(0x53, tlv(0x70, ec_der) + tlv(0x71, b"\x00") + b"\xFE\x00")
    gz_object = tlv(0x53, tlv(0x70, gzip.compress(rsa_der, mtime=0)) + tlv(0x71, b"\x01") + b"\xFE\x00")
    chuid = tlv(0x53, tlv(0x30, b"\xD4" * 25) + tlv(0x34, bytes(range(16))) + tlv(0x35, b"20301231")
                + tlv(0x3E, b"") + b"\xFE\x00")
    history = tlv(0x53, tlv(0xC1, b"\x01") + tlv(0xC2, b"\x00") + b"\xFE\x00")

    # BER-TLV
    for i, data in enumerate([cert_object, gz_object, chuid, history, tlv(0x7F49, tlv(0x86, b"\x04" * 65)),
                              b"\x5F\xC1\x05\x83\x00\x00\x01\x00", b"\x53\x84\x00\x00\x00\x00"]):
        write("tlv", "seed%d" % i, data)
    # APDUs
    for i, data in enumerate([bytes.fromhex("00A404000BA00000030800001000010000"),
                              bytes.fromhex("00CB3FFF055C035FC10500"), bytes.fromhex("0020008008313233343536FFFF"),
                              bytes.fromhex("00C0000000"), bytes.fromhex("61114F0600001000010079074F05A0000003089000"),
                              bytes.fromhex("63C2"), bytes.fromhex("00FD0000")]):
        write("apdu", "seed%d" % i, data)
    # gzip
    write("gzip", "cert", gzip.compress(rsa_der, mtime=0))
    write("gzip", "text", gzip.compress(b"cardbridge " * 50, mtime=0))
    write("gzip", "zeros", gzip.compress(bytes(70000), mtime=0))
    # certificates
    for name, der, pem in certs:
        write("certificate", name + ".der", der)
        write("certificate", name + ".pem", pem)
    # a hostile card: SELECT, VERSION, SERIAL, CHUID, Key History, certificates, PIN status, PIN commands
    select_ok = bytes.fromhex("61114F0600001000010079074F05A000000308") + ok
    notfound = b"\x6A\x82"
    chain = [cert_object[:256] + b"\x61\x00"]
    rest = cert_object[256:]
    while rest:
        piece, rest = rest[:256], rest[256:]
        chain.append(piece + (b"\x61\x00" if rest else ok))
    write("piv", "yubikey", responses(select_ok, b"\x05\x04\x03" + ok, b"\x00\xBC\x61\x4E" + ok, chuid + ok,
                                       history + ok, *chain, notfound, notfound, notfound, gz_object + ok,
                                       b"\x63\xC3", ok, select_ok, b"\x63\xC2", select_ok, b"\x63\xC1"))
    write("piv", "plain", responses(select_ok, b"\x6D\x00", chuid + ok, notfound, notfound, gz_object + ok,
                                     notfound, notfound, b"\x69\x83"))
    write("piv", "resend", responses(select_ok, b"\x6C\x03", b"\x05\x07\x01" + ok, b"\x6A\x81", b"\x61\x10",
                                      chuid[:16] + ok))
    # JSON-RPC frames: first byte 0 = the bundled UI, 1 = a platform page, 2 = a platform allowed secrets
    reader = "Fuzz Reader 00 00"
    frames = [
        ("hello", 1, {"method": "system.hello"}),
        ("readers", 1, {"method": "readers.list"}),
        ("cards", 1, {"method": "cards.list"}),
        ("export", 1, {"method": "certificates.export", "params": {"reader": reader, "slot": "9a"}}),
        ("pinchange", 0, {"method": "pin.change", "params": {"reader": reader, "oldPin": "123456",
                                                               "newPin": "258014"}}),
        ("begin", 1, {"method": "unlock.begin", "params": {"reader": reader}}),
        ("identify", 0, {"method": "unlock.identify", "params": {"flowId": "$FLOW", "handler": {
            "organization": "深圳市测试医疗器械有限公司", "name": "张三", "idType": "居民身份证",
            "idNumber": "110101199003074514", "phone": "13812345678"}}}),
        ("sendcode", 0, {"method": "unlock.sendCode", "params": {"flowId": "$FLOW"}}),
        ("reset", 0, {"method": "unlock.resetWithCode", "params": {"flowId": "$FLOW", "code": "135790",
                                                                    "newPin": "258014"}}),
        ("status", 1, {"method": "unlock.status", "params": {"flowId": "$FLOW"}}),
        ("submit", 0, {"method": "unlock.submit", "params": {"flowId": "$FLOW"}}),
        ("withdraw", 0, {"method": "unlock.withdraw", "params": {"flowId": "$FLOW"}}),
        ("form", 0, {"method": "unlock.applicationForm", "params": {"flowId": "$FLOW"}}),
        ("approved", 0, {"method": "unlock.resetApproved", "params": {"flowId": "$FLOW", "newPin": "258014"}}),
    ]
    for i, (name, who, body) in enumerate(frames):
        frame = dict(jsonrpc="2.0", id=i + 1, **body)
        write("jsonrpc", name, bytes([who]) + json.dumps(frame, ensure_ascii=False).encode())
    write("jsonrpc", "notification", b"\x00" + b'{"jsonrpc":"2.0","method":"system.hello"}')
    write("jsonrpc", "batch", b"\x00" + b'[{"jsonrpc":"2.0","id":1,"method":"system.hello"}]')
    write("jsonrpc", "deep", b"\x00" + b'{"jsonrpc":"2.0","id":1,"method":"x","params":' + b"[" * 40 + b"]" * 40 + b"}")
    # the daemon's front: selector (1 GET, 2 HEAD, else PUT; 4 own origin; 8 oversized) + text
    for i, (sel, text) in enumerate([(1, "https://127.0.0.1:23443"), (1, "HTTPS://WWW.SZYXHC.COM:443/"),
                                     (1, "localhost:23443"), (1, "[::1]:23443"), (1, "/css/app.css?v=2"),
                                     (1, "/%2e%2e/secret.txt"), (1, "/link.txt"), (2, "/"), (1, "/health"),
                                     (4, "/unlock/0123456789abcdef0123456789abcdef/attachments/handler_id"),
                                     (12, "/unlock/0123456789abcdef0123456789abcdef/attachments/application_form"),
                                     (1, "https://authority.example:8443/base")]):
        write("daemon_front", "seed%d" % i, bytes([sel]) + text.encode())
    # the daemon's config
    write("daemon_config", "full", json.dumps({
        "ports": [23443, 23444], "platformOrigins": [{"origin": "https://www.szyxhc.com", "allowSecrets": False}],
        "limits": {"maxFrameBytes": 65536, "maxJsonDepth": 16, "maxConnectionsPerOrigin": 16,
                   "maxRequestsPerSecond": 50, "maxPendingRequests": 8, "idleTimeoutSeconds": 300,
                   "handshakeTimeoutSeconds": 10},
        "stateDir": "state", "webRoot": "/usr/share/cardbridge/webui", "logLevel": "debug",
        "logFile": "log/cardbridged.log", "logFileMaxBytes": 1048576, "logFileCount": 2, "logToConsole": False,
        "authority": {"url": "https://authority.example:8443/base", "caFile": "ca.pem", "tokenFile": "token",
                      "connectTimeoutSeconds": 5, "requestTimeoutSeconds": 20, "retries": 1, "pollSeconds": 30,
                      "offlineUrl": "https://www.szyxhc.com/offline"}}, indent=1))
    write("daemon_config", "origins", '{"platformOrigins": ["https://a.example", {"origin": "http://localhost:8080"}]}')
    write("daemon_config", "bad", '{"ports": [80, "x", 70000], "unknown": 1, "limits": {"maxJsonDepth": -1}}')
    # the authority's answers as the daemon decodes them: selector + body
    rid = "0123456789abcdef0123456789abcdef"
    for i, (sel, body) in enumerate([
            (0, {"requestId": rid, "route": "sms", "maskedPhone": "138****5678"}),
            (1, {"maskedPhone": "138****5678", "expiresAt": "2026-03-05T10:05:00Z", "resendAfter": 60}),
            (2, {"requestId": rid, "state": "in_review", "route": "review", "dueDate": "2026-03-10",
                 "attachments": {"handler_id": {"size": 10, "type": "image/png"}}}),
            (3, {"kind": "handler_id", "size": 1024, "type": "image/png", "sha256": "00" * 32}),
            (4, {"requestId": rid, "organization": "某公司", "name": "张三"}),
            (5, {"puk": "12345678", "nextPuk": "87654321", "epoch": 1, "pendingRotation": False}),
            (6, {"error": {"reason": "CODE_INCORRECT", "message": "wrong", "triesLeft": 3,
                           "fields": [{"field": "phone", "code": "format"}]}})]):
        write("authority_responses", "seed%d" % i, bytes([sel]) + json.dumps(body, ensure_ascii=False).encode())
    # magic bytes
    write("magic", "jpeg", b"\xFF\xD8\xFF\xE0\x00\x10JFIF")
    write("magic", "png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
    write("magic", "gif", b"GIF89a\x01\x00\x01\x00")
    write("magic", "bmp", b"BM" + struct.pack("<IHHI", 70, 0, 0, 54) + struct.pack("<I", 40) + bytes(32))
    write("magic", "pdf", b"%PDF-1.7\n")
    # the form rules: selector (ID type) + organization, name, idType, idNumber, phone on lines
    for i, (sel, fields) in enumerate([
            (0, ["深圳市某某医疗器械有限公司（福田）", "张三", "居民身份证", "44030419900101123X", "+86 138-1234-5678"]),
            (1, ["Acme Ltd", "Anne-Marie O’Neil", "hk_macao_permit", "H12345678", "13812345678"]),
            (4, ["某公司", "阿卜杜•买买提", "foreign_permanent_resident", "9330001234567890AB", "0086 13912345678"]),
            (5, ["91440300MA5DC6QX7B", "李四", "港澳台居民居住证", "810000199408230021", "139 1234 5678"])]):
        write("form_rules", "seed%d" % i, bytes([sel]) + "\n".join(fields).encode())
    # the authority's codecs: depth byte + text
    for i, text in enumerate(["/v1/unlock-requests/" + rid + "/attachments/handler_id",
                              "username=wang&password=reviewer%20password&csrf=" + "a" * 64,
                              "a=1&a=2", "cb_review=" + "b" * 64 + "; cb_login_csrf=" + "c" * 64,
                              '{"code":"123456","deep":[[[[1]]]]}', "application/JSON; charset=utf-8", rid,
                              "%zz+%41"]):
        write("http_codecs", "seed%d" % i, bytes([8]) + text.encode())
    # the authority's whole request handler: raw requests
    handler = {"organization": "深圳市某某医疗器械有限公司", "name": "张三", "idType": "居民身份证",
               "idNumber": "44030419900101123X", "phone": "13812345678"}

    def request(method, target, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: authority.example"] + list(headers)
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    api = ["Authorization: Bearer $TOKEN", "Content-Type: application/json"]
    create = json.dumps({"certificate": "$CERT", "cardSerial": "CARD-0001", "handler": handler}, ensure_ascii=False)
    review = ["Cookie: cb_review=$SESSION", "Content-Type: application/x-www-form-urlencoded"]
    for i, raw in enumerate([
            request("POST", "/v1/unlock-requests", create, api),
            request("POST", "/v1/unlock-requests/$REQ/code", "{}", api),
            request("POST", "/v1/unlock-requests/$REQ/verify", '{"code":"$CODE"}', api),
            request("GET", "/v1/unlock-requests/$REVIEW", "", api),
            request("PUT", "/v1/unlock-requests/$REQ/attachments/handler_id", b"%PDF-1.7\n",
                    ["Authorization: Bearer $TOKEN", "Content-Type: application/pdf"]),
            request("POST", "/v1/unlock-requests/$REVIEW/submit", "{}", api),
            request("GET", "/v1/unlock-requests/$REVIEW/application-form", "", api),
            request("POST", "/v1/unlock-requests/$REVIEW/credential", "{}", api),
            request("POST", "/v1/unlock-requests/$REVIEW/complete", "{}", api),
            request("DELETE", "/v1/unlock-requests/$REQ", "", api),
            request("GET", "/review/login"),
            request("POST", "/review/login", "username=wang&password=reviewer-password&csrf=" + "a" * 64,
                    ["Cookie: cb_login_csrf=" + "a" * 64, "Content-Type: application/x-www-form-urlencoded"]),
            request("GET", "/review/", "", review),
            request("GET", "/review/requests/$REVIEW", "", review),
            request("GET", "/review/requests/$REVIEW/attachments/handler_id", "", review),
            request("POST", "/review/requests/$REVIEW/approve", "csrf=$CSRF", review),
            request("POST", "/review/requests/$REVIEW/reject", "csrf=$CSRF&reason=%E5%8D%B0%E7%AB%A0", review),
            request("POST", "/review/logout", "csrf=$CSRF", review),
            request("GET", "/"),
    ]):
        write("authority_http", "seed%d" % i, raw)
    total = sum(len(files) for _, _, files in os.walk(CORPUS))
    print("make_corpus: %d seed files under %s" % (total, CORPUS))


if __name__ == "__main__":
    sys.exit(main())
