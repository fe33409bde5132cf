#!/usr/bin/env python3
"""A participant's Python system against idx-sim, with nothing but the standard library (Python 3.8+).

One BPQD message sent by an MDP and received by an LNSP, over the hub's mutual TLS, OAuth 2.0 client
credentials and event WebSocket, then checked from both sides afterwards:

  1. both participants get an access token: POST /oauth/v1/token, HTTP Basic client authentication
     (spec §4.8; RFC 6749 §2.3.1), over mTLS with the participant's certificate (Python's ssl, i.e. OpenSSL);
  2. the LNSP opens its event WebSocket (GET /events/v1): the standard library has no WebSocket client, so
     this file speaks RFC 6455 itself over an ssl socket (handshake, masked client frames, ping/pong, close);
  3. the MDP submits the payload (http.client, one keep-alive connection per participant): gzip body,
     x-messageContextId of its own making, x-signature = a detached CMS SignedData over the JSON made by
     `openssl cms -sign` (the standard library has no CMS);
  4. the MDP sends the same messageContextId again and gets 409 problem+json (RFC 9457) whose traceId is the
     response's x-traceId and whose errors[] names the header;
  5. the LNSP hears MESSAGE_AVAILABLE, lists its queue, fetches the message (the same JSON bytes), deletes it
     (204) and gets a problem+json 404 when it fetches it again;
  6. the LNSP fetches the outbound archive's copy: the hub's x-signature verifies with `openssl cms -verify`
     against the hub CA, and x-originalSignature is the MDP's signature as sent;
  7. the MDP searches its transaction log for the message and exports the search as CSV (parsed by Python's
     csv module): the record says the LNSP removed it.

Run it from the repository root against `npm start` (see README.md in this folder):

    python3 examples/python-client/idx_round_trip.py --url https://localhost:8443 --certs certs \\
        --payload my-bpqd.json [--sender MDPONE --recipient LNSPNORTH]

It prints one JSON line with what it saw, and exits 0 only when every step answered as IDX says it must.
"""
import argparse
import base64
import csv
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

TIMEOUT = 20.0
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


class Participant:
    """One participant's HTTPS connection (kept alive) presenting its primary certificate, trusting only the hub CA."""

    def __init__(self, url, certs, participant_id):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port, self.id = parsed.hostname, parsed.port or 443, participant_id
        self.tls = ssl.create_default_context(cafile=os.path.join(certs, "ca", "ca.crt"))
        folder = os.path.join(certs, "participants", participant_id)
        self.tls.load_cert_chain(os.path.join(folder, "primary.crt"), os.path.join(folder, "primary.key"))
        self.http = http.client.HTTPSConnection(self.host, self.port, context=self.tls, timeout=TIMEOUT)
        self.token = None

    def request(self, method, path, headers=None, body=None):
        """Sends one request; returns (status, headers as a lower-cased dict, body bytes)."""
        all_headers = {"x-initiatingParticipantId": self.id, "x-market": "NEM"}
        if self.token:
            all_headers["Authorization"] = "Bearer " + self.token
        all_headers.update(headers or {})
        self.http.request(method, path, body=body, headers=all_headers)
        response = self.http.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    def get_token(self, scope):
        """Client credentials with HTTP Basic (RFC 6749 §2.3.1: id and secret form-urlencoded first)."""
        client_id, secret = self.id.lower() + "-api", self.id.lower() + "-secret"
        basic = base64.b64encode((urllib.parse.quote_plus(client_id) + ":" + urllib.parse.quote_plus(secret)).encode()).decode()
        status, _, body = self.request("POST", "/oauth/v1/token", {
            "Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        }, urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scope}))
        if status != 200:
            raise RuntimeError("token for %s: %d %s" % (self.id, status, body[:300]))
        self.token = json.loads(body)["access_token"]


class EventSocket:
    """A WebSocket client (RFC 6455) over the participant's TLS: text frames in, pings answered, masked frames out."""

    def __init__(self, participant):
        raw = socket.create_connection((participant.host, participant.port), timeout=TIMEOUT)
        self.sock = participant.tls.wrap_socket(raw, server_hostname=participant.host)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        self.sock.sendall(((
            "GET /events/v1 HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n"
            "x-initiatingParticipantId: %s\r\nx-market: NEM\r\n\r\n"
        ) % (participant.host, participant.port, key, participant.token, participant.id)).encode("ascii"))
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise RuntimeError("WebSocket upgrade answered: " + lines[0])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        expected = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise RuntimeError("Sec-WebSocket-Accept is %r, RFC 6455 §4.2.2 says %r" % (headers.get("sec-websocket-accept"), expected))
        self.frames = []

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the hub closed the event WebSocket")
        return chunk

    def _take(self, n):
        while len(self.buffer) < n:
            self.buffer += self._recv()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _send(self, opcode, payload=b""):
        # A client masks every frame it sends (RFC 6455 §5.3); these payloads are short (< 126 bytes).
        mask = secrets.token_bytes(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + masked)

    def next_frame(self, deadline):
        """The next text frame (parsed JSON), answering pings on the way; None at the deadline."""
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                first, second = self._take(2)
            except socket.timeout:
                return None
            if second & 0x80:
                raise RuntimeError("the hub masked a frame: a server must not (RFC 6455 §5.1)")
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._take(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._take(8))[0]
            payload, opcode = self._take(length), first & 0x0F
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                raise RuntimeError("the hub closed the event WebSocket: %r" % payload)
            elif opcode == 0x1:
                frame = json.loads(payload)
                self.frames.append(frame)
                return frame
        return None

    def close(self):
        self._send(0x8, struct.pack("!H", 1000) + b"done")
        self.sock.close()


def cms(*args):
    result = subprocess.run(["openssl", "cms"] + list(args), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError("openssl cms %s failed: %s" % (args[0], result.stderr.decode(errors="replace")))
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="https://localhost:8443")
    parser.add_argument("--certs", default="certs")
    parser.add_argument("--payload", required=True, help="a BPQD payload (JSON), e.g. from idx-sim generate")
    parser.add_argument("--sender", default="MDPONE")
    parser.add_argument("--recipient", default="LNSPNORTH")
    a = parser.parse_args()
    with open(a.payload, "rb") as f:
        payload = f.read()
    seen, failures = {}, []

    def expect(ok, what):
        if not ok:
            failures.append(what)
        return ok

    mdp, lnsp = Participant(a.url, a.certs, a.sender), Participant(a.url, a.certs, a.recipient)
    mdp.get_token("PQD_BPQD TRANSLOG_TRANSLOG")
    lnsp.get_token("PQD_BPQD EVENT_NOTIFY ARCH_RETRIEVE")
    seen["tokens"] = 2
    events = EventSocket(lnsp)

    # The MDP sends: a messageContextId of its own making (spec §3 grammar), gzip body, x-signature over the JSON.
    priority = json.loads(payload)["data"]["header"].get("priority", "Low")[0].lower()
    context_id = "pqd~bpqd~%s~%s~py-%s" % (priority, a.sender.lower(), secrets.token_hex(6))
    with tempfile.TemporaryDirectory() as tmp:
        content = os.path.join(tmp, "payload.json")
        with open(content, "wb") as f:
            f.write(payload)
        folder = os.path.join(a.certs, "participants", a.sender)
        signature = "RSA-SHA256;" + base64.b64encode(cms("-sign", "-binary", "-outform", "DER", "-md", "sha256", "-in", content,
                                                          "-signer", os.path.join(folder, "primary.crt"),
                                                          "-inkey", os.path.join(folder, "primary.key"))).decode()
    submission = {"x-messageContextId": context_id, "x-signature": signature, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    status, _, body = mdp.request("POST", "/pqd/v1/bpqd", submission, gzip.compress(payload))
    seen["post"] = status
    expect(status == 200, "POST /pqd/v1/bpqd answered %d: %s" % (status, body[:300]))

    # The same messageContextId again: a refusal a client library can read (RFC 9457).
    status, headers, body = mdp.request("POST", "/pqd/v1/bpqd", submission, gzip.compress(payload))
    seen["duplicate"] = status
    problem = json.loads(body) if headers.get("content-type", "").startswith("application/problem+json") else {}
    seen["duplicateCode"] = problem.get("code")
    expect(status == 409 and problem.get("code") == "IDX_ERR_DUPLICATE_MESSAGE", "a repeated messageContextId answered %d %s" % (status, body[:300]))
    expect(problem.get("traceId") == headers.get("x-traceid") and problem.get("status") == 409, "problem traceId/status do not match the response")
    expect(any(e.get("name") == "x-messageContextId" for e in problem.get("errors", [])), "the refusal does not name x-messageContextId")

    # The LNSP hears of it, lists, fetches, deletes.
    deadline, available = time.monotonic() + TIMEOUT, None
    while available is None and time.monotonic() < deadline:
        frame = events.next_frame(deadline)
        if frame and frame.get("eventType") == "MESSAGE_AVAILABLE" and context_id in json.dumps(frame):
            available = frame
    seen["messageAvailable"] = available is not None
    expect(available is not None, "no MESSAGE_AVAILABLE for %s within %d s" % (context_id, TIMEOUT))
    status, _, body = lnsp.request("GET", "/pqd/v1/bpqd?itemCount=100", {"Accept": "application/json"})
    seen["list"] = status
    expect(status == 200 and context_id in body.decode(), "GET /pqd/v1/bpqd: %d %s" % (status, body[:300]))
    path = "/pqd/v1/bpqd/" + urllib.parse.quote(context_id, safe="")
    status, headers, body = lnsp.request("GET", path, {"Accept-Encoding": "gzip"})
    received = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    seen["get"], seen["sameBytes"] = status, received == payload
    expect(status == 200 and received == payload, "GET %s answered %d, %s the JSON sent" % (path, status, "with" if received == payload else "not"))
    status, _, body = lnsp.request("DELETE", path)
    seen["delete"] = status
    expect(status == 204 and body == b"", "DELETE answered %d: %s" % (status, body[:300]))
    status, headers, _ = lnsp.request("GET", path)
    seen["getAfterDelete"] = status
    expect(status == 404 and headers.get("content-type", "").startswith("application/problem+json"), "GET after DELETE answered %d" % status)
    events.close()

    # The outbound archive's copy, re-signed by the hub: OpenSSL verifies the hub's signature against the hub CA.
    status, headers, body = lnsp.request("GET", "/archive/v1/messages/" + urllib.parse.quote(context_id, safe=""), {"Accept-Encoding": "gzip"})
    archived = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    seen["archive"] = status
    expect(status == 200 and archived == payload, "GET /archive/v1/messages/%s answered %d" % (context_id, status))
    expect(headers.get("x-originalsignature") == signature, "x-originalSignature is not the MDP's signature as sent")
    hub_signature = headers.get("x-signature", "")
    with tempfile.TemporaryDirectory() as tmp:
        content, der = os.path.join(tmp, "archived.json"), os.path.join(tmp, "hub.der")
        with open(content, "wb") as f:
            f.write(archived)
        with open(der, "wb") as f:
            f.write(base64.b64decode(hub_signature.split(";", 1)[-1]))
        try:
            cms("-verify", "-binary", "-inform", "DER", "-in", der, "-content", content, "-CAfile", os.path.join(a.certs, "ca", "ca.crt"), "-purpose", "any", "-out", os.devnull)
            seen["hubSignatureVerified"] = True
        except RuntimeError as err:
            seen["hubSignatureVerified"] = False
            failures.append("the archive's x-signature does not verify: %s" % err)

    # The MDP's transaction log: the record for the LNSP says removed; the CSV export says the same.
    query = urllib.parse.urlencode({"messageContextId": context_id, "toParticipant": a.recipient})
    status, _, body = mdp.request("GET", "/translog/v1/messages?" + query, {"Accept": "application/json"})
    records = json.loads(body).get("data", []) if status == 200 else []
    seen["translog"] = sorted({r.get("messageStatus") for r in records})
    expect(status == 200 and [r.get("messageStatus") for r in records] == ["removed"], "translog search answered %d: %s" % (status, body[:300]))
    status, headers, body = mdp.request("GET", "/translog/v1/messages/export.csv?" + query, {"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")))) if status == 200 else []
    seen["csvRows"] = len(rows)
    expect(status == 200 and len(rows) == 1 and rows[0].get("messageStatus") == "removed" and rows[0].get("messageContextId") == context_id,
           "CSV export answered %d: %s" % (status, body[:300]))

    seen["messageContextId"], seen["failures"] = context_id, failures
    print(json.dumps(seen, sort_keys=True))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
