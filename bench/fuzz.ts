/**
 * The fuzz suite (issue 7, "Done when" 3): requests generated from the OpenAPI documents' operations,
 * parameters and schemas, then mutated — headers, bodies, gzip, query and path parameters, methods —
 * plus raw malformed HTTP over a real TLS socket. Bounded in count and time, seeded, loopback only.
 *
 * Every answer must be: below 500, on time (no hang), problem+json with the trace id of its `x-traceId`
 * header when it is a refusal, and within the contract of the OpenAPI documents. At the end the server
 * must still answer a plain request (no crash, no wedged event loop).
 *
 * `runFuzz` is used by the short run in `npm test` (test/robustness/fuzz.test.ts) and by the long one,
 * `npm run fuzz` (this file's command line: `--requests`, `--seed`, `--max-seconds`, `--concurrency`).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Agent, buildConnector, request } from 'undici';
import type { Operation } from '../src/contract/openapi.js';
import { PROJECT_ROOT } from '../src/context.js';
import { generateBpqdPayload } from '../src/domain/bpqd-generator.js';
import { SeededRandom } from '../src/domain/random.js';
import { pkiPaths } from '../src/pki/dev-ca.js';
import { MessageSigner } from '../src/security/message-signature.js';
import type { RunningServer } from '../src/server.js';

export interface FuzzOptions {
  seed: string;
  /** HTTP requests to send (raw malformed exchanges come on top: one per `rawEvery`). */
  requests: number;
  /** Stop after this many seconds even if not all requests were sent. */
  maxSeconds: number;
  concurrency: number;
  /** One raw malformed exchange per this many requests. */
  rawEvery?: number;
  /** A request that gets no answer within this many milliseconds is a hang. */
  hangMs?: number;
  /** The certificates directory of the server (for the participants' client certificates). */
  certsDir: string;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: string;
  requests: number;
  rawExchanges: number;
  seconds: number;
  byStatus: Record<string, number>;
  /** Answers to the IDX APIs (not the control API), and how many of them were 401: the share that got behind authentication. */
  idxAnswered: number;
  idxUnauthorized: number;
  serverErrors: string[];
  hangs: string[];
  /** Requests whose promise never settled on the client although undici's timeouts did not fire (open problem, docs/reliability.md). */
  stalls: string[];
  notProblemJson: string[];
  contractViolations: string[];
  clientErrors: number;
  aliveAtEnd: boolean;
  crashed: string[];
}

const PARTICIPANTS = ['MDPONE', 'ACMEMC', 'LNSPNORTH', 'LNSPSOUTH'] as const;
const SCOPES: Record<string, string> = {
  MDPONE: 'PQD_BPQD TRANSLOG_TRANSLOG FCTRL_STATUS EVENT_NOTIFY',
  ACMEMC: 'PQD_BPQD TRANSLOG_TRANSLOG FCTRL_STATUS EVENT_NOTIFY',
  LNSPNORTH: 'PQD_BPQD FCTRL_FCTRL FCTRL_STATUS TRANSLOG_TRANSLOG ARCH_RETRIEVE EVENT_NOTIFY',
  LNSPSOUTH: 'PQD_BPQD FCTRL_FCTRL FCTRL_STATUS TRANSLOG_TRANSLOG ARCH_RETRIEVE EVENT_NOTIFY',
};
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const NASTY_STRINGS = ['', ' ', 'null', '0', '-1', 'Infinity', '-Infinity', '1e309', 'NaN', '1.5', '99999999999999999999', 'true',
  '%00', '%', '%zz', '../../etc/passwd', '<script>', "' OR 1=1 --", '\u00e9\u4e2d', '\ud83d\ude00', 'a,b,c', '[]', '{}',
  '2026-02-30T00:00:00+10:00', '2026-07-01T25:00:00+10:00', '2026-07-01T00:00:00 10:00', 'pqd~bpqd~l~mdpone~x', 'pqd~bpqd~x~~'];

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface FuzzRequest { method: string; path: string; headers: Record<string, string>; body?: Buffer | string; label: string }

/** A value for a schema: mostly valid (from examples, enums, bounds, patterns we know), sometimes not. */
function valueFor(schema: Json, r: SeededRandom, name: string): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
  if (r.next() < 0.15) return pick(NASTY_STRINGS);
  if (!schema || typeof schema !== 'object') return 'x';
  if (schema.enum) return String(pick(schema.enum as unknown[]));
  if (schema.const !== undefined) return String(schema.const);
  if (schema.example !== undefined) return String(schema.example);
  if (schema.type === 'integer' || schema.type === 'number') {
    const min = schema.minimum ?? 0;
    const max = Math.min(schema.maximum ?? min + 1000, min + 1000);
    return String(min + Math.floor(r.next() * (max - min + 1)));
  }
  if (schema.type === 'boolean') return pick(['true', 'false']);
  if (/DateTime$/.test(name)) return pick(['2026-07-01T00:00:00.000+10:00', '2026-07-02T09:00:00+10:00', '2026-06-01T00:00:00.000+10:00']);
  if (/messageContextId/i.test(name)) return `pqd~bpqd~l~mdpone~fz${r.hex(4)}`;
  if (/participantId/i.test(name)) return pick(PARTICIPANTS);
  if (/businessFunctionId/i.test(name)) return 'pqd';
  return `v${r.hex(3)}`;
}

/** Mutations of a string value: long, control-free garbage, encodings. */
function mutateValue(r: SeededRandom): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
  return pick([
    () => 'a'.repeat(5000),
    () => 'b'.repeat(200 + Math.floor(r.next() * 400)),
    () => pick(NASTY_STRINGS),
    () => encodeURIComponent(String.fromCharCode(...Array.from({ length: 8 }, () => 32 + Math.floor(r.next() * 200)))),
    () => r.hex(Math.floor(r.next() * 64)),
  ])();
}

/**
 * A header value as HTTP may carry it (RFC 9110 §5.5): visible ASCII, space and tab, and the obs-text bytes
 * 0x80–0xff, which arrive as one latin-1 character each. Anything else becomes `?`.
 */
const headerValue = (value: string): string => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

export class Fuzzer {
  private readonly r: SeededRandom;
  private readonly operations: Operation[];
  private readonly tokens = new Map<string, string>();
  private readonly agents = new Map<string, Agent>();
  private readonly secureContexts = new Map<string, SecureContext>();
  /** The latest TLS session per participant (see `agent`). */
  private readonly sessions = new Map<string, Buffer>();
  private readonly signers = new Map<string, MessageSigner>();
  private readonly url: URL;
  /** Signed payloads made once (RSA signing is the slowest part of a request): JSON bytes, gzip, signature. */
  private readonly signed = new Map<string, Array<{ json: Buffer; gzip: Buffer; signature: string }>>();
  private bomb = Buffer.alloc(0);

  constructor(private readonly server: RunningServer, private readonly o: FuzzOptions) {
    this.r = new SeededRandom(`fuzz:${o.seed}`);
    this.operations = [...server.ctx.contract.operations.values()].filter((op) => op.operationId !== 'subscribeEvents' || true);
    this.url = new URL(server.url);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r.next() * xs.length)]!;
  }

  /**
   * TLS client options presenting the participant's primary certificate (the CA only when undefined). One
   * secure context per participant, made once: every connection would otherwise parse the CA, certificate
   * and key again (the largest client-side cost of a one-request connection).
   */
  private tls(participantId: string | undefined): { secureContext: SecureContext } {
    const key = participantId ?? '-';
    let secureContext = this.secureContexts.get(key);
    if (!secureContext) {
      const p = pkiPaths(this.o.certsDir);
      secureContext = createSecureContext({
        ca: readFileSync(p.caCert),
        ...(participantId ? { cert: readFileSync(p.participantCert(participantId, 'primary')), key: readFileSync(p.participantKey(participantId, 'primary')) } : {}),
      });
      this.secureContexts.set(key, secureContext);
    }
    return { secureContext };
  }

  private agent(participantId: string | undefined): Agent {
    const key = participantId ?? '-';
    let a = this.agents.get(key);
    if (!a) {
      // TLS session resumption, as a browser or curl does: every request still gets a connection of its own
      // (`reset` in `send`) on which the participant's certificate is presented (a resumed session carries
      // it), but without a full handshake's RSA signatures and certificate parsing on both sides (about a
      // third of a request's CPU). undici caches sessions through WeakRefs only, which the next garbage
      // collection clears, so nearly every connection made a full handshake: holding the latest session per
      // participant here keeps undici's cache entry alive. Each participant's first connection, and the raw
      // exchanges, still make full handshakes.
      const connector = buildConnector({ ...this.tls(participantId), servername: 'localhost' }) as unknown as
        (options: buildConnector.Options, callback: buildConnector.Callback) => TLSSocket;
      const connect = (options: buildConnector.Options, callback: buildConnector.Callback): TLSSocket =>
        connector(options, callback).on('session', (session: Buffer) => this.sessions.set(key, session));
      this.agents.set(key, (a = new Agent({ connect, connections: 4, headersTimeout: this.o.hangMs ?? 10_000, bodyTimeout: this.o.hangMs ?? 10_000 })));
    }
    return a;
  }

  async setup(): Promise<void> {
    for (const pid of PARTICIPANTS) {
      const lower = pid.toLowerCase();
      const res = await request(`${this.server.url}/oauth/v1/token`, {
        method: 'POST', dispatcher: this.agent(pid), headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: `${lower}-api`, client_secret: `${lower}-secret`, scope: SCOPES[pid]! }).toString(),
      });
      const body = await res.body.json() as { access_token?: string };
      if (!body.access_token) throw new Error(`fuzz setup: no token for ${pid} (${res.statusCode})`);
      this.tokens.set(pid, body.access_token);
      const p = pkiPaths(this.o.certsDir);
      const signer = new MessageSigner({ certPem: readFileSync(p.participantCert(pid, 'primary'), 'utf8'), keyPem: readFileSync(p.participantKey(pid, 'primary'), 'utf8') });
      this.signers.set(pid, signer);
      this.signed.set(pid, Array.from({ length: 4 }, (_, i) => {
        const json = Buffer.from(JSON.stringify(generateBpqdPayload(this.r, { sender: pid, recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 1 + i })));
        return { json, gzip: gzipSync(json), signature: signer.sign(json) };
      }));
    }
    // A gzip bomb: 20 MB of spaces in about 20 KB.
    this.bomb = gzipSync(Buffer.alloc(20_000_000, 32), { level: 9 });
  }

  /** A request generated from one operation of the documents, then mutated 0–3 times. */
  generate(): { participantId: string | undefined; req: FuzzRequest } {
    const op = this.pick(this.operations);
    const participantId = this.r.next() < 0.07 ? undefined : this.pick(PARTICIPANTS);
    const labels: string[] = [op.operationId];
    const params = op.parameters;
    let path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(valueFor(params.find((p) => p.name === name)?.schema, this.r, name)));
    const headers: Record<string, string> = {};
    const query = new URLSearchParams();
    for (const p of params) {
      if (p.in === 'header') {
        const lower = p.name.toLowerCase();
        if (lower === 'x-initiatingparticipantid') headers[p.name] = participantId ?? 'MDPONE';
        else if (lower === 'content-type' || lower === 'content-encoding') continue;
        else if (p.required || this.r.next() < 0.5) headers[p.name] = valueFor(p.schema, this.r, p.name);
      } else if (p.in === 'query' && (p.required || this.r.next() < 0.4)) {
        query.set(p.name, valueFor(p.schema, this.r, p.name));
      }
    }
    // Authentication comes from the operation's security requirement (openapi: mutualTLS + idxOAuth), not from
    // header parameters: the documents declare no Authorization parameter.
    if (op.auth.token) headers.authorization = participantId && this.tokens.has(participantId) ? `Bearer ${this.tokens.get(participantId)}` : 'Bearer x';
    // The control API: reads with the real key half the time (their parameters get fuzzed too); writes only
    // with a wrong key, so the run never resets the hub or moves its clock under the other requests.
    if (op.auth.admin) {
      const real = op.method.toUpperCase() === 'GET' && this.r.next() < 0.5;
      const key = this.server.ctx.config.adminKey;
      // A wrong key of the real one's length in characters but not in bytes (é: one latin-1 character on the wire, two in UTF-8).
      headers.authorization = real ? `Bearer ${key}` : this.pick(['Bearer wrong-key', 'Basic abc', `Bearer ${key.slice(0, -1)}\u00e9`]);
    }
    let method = op.method.toUpperCase();
    let body: Buffer | string | undefined = this.body(op, participantId, headers, labels);

    const mutations = Math.floor(this.r.next() * 4);
    for (let i = 0; i < mutations; i++) {
      const kind = this.pick(['header-drop', 'header-garbage', 'header-extra', 'query-garbage', 'query-unknown', 'query-repeat', 'path-garbage', 'method', 'body-garbage', 'body-truncate', 'content-type'] as const);
      labels.push(kind);
      switch (kind) {
        case 'header-drop': {
          const names = Object.keys(headers);
          if (names.length) delete headers[this.pick(names)];
          break;
        }
        case 'header-garbage': {
          const names = Object.keys(headers);
          if (names.length) headers[this.pick(names)] = headerValue(mutateValue(this.r));
          break;
        }
        case 'header-extra':
          headers[`x-fuzz-${this.r.hex(2)}`] = headerValue(mutateValue(this.r));
          break;
        case 'query-garbage': {
          const names = [...query.keys()];
          if (names.length) query.set(this.pick(names), mutateValue(this.r));
          else query.set('itemCount', this.pick(NASTY_STRINGS));
          break;
        }
        case 'query-unknown':
          query.set(`q${this.r.hex(2)}`, mutateValue(this.r));
          break;
        case 'query-repeat': {
          const names = [...query.keys()];
          const name = names.length ? this.pick(names) : 'itemCount';
          query.append(name, valueFor({}, this.r, name));
          query.append(name, this.pick(NASTY_STRINGS));
          break;
        }
        case 'path-garbage': {
          const segments = path.split('/');
          segments[1 + Math.floor(this.r.next() * (segments.length - 1))] = this.pick([encodeURIComponent(mutateValue(this.r)), '%E0%A4%A', '..', '%2F', '', 'x'.repeat(5000)]);
          path = segments.join('/');
          break;
        }
        case 'method':
          method = this.pick(METHODS);
          break;
        case 'body-garbage':
          body = this.pick([() => Buffer.from(r8(this.r, 64)), () => '{"data":', () => gzipSync(Buffer.from(r8(this.r, 200))), () => JSON.stringify(this.junkJson(3)), () => gzipSync(JSON.stringify(this.junkJson(4)))])();
          break;
        case 'body-truncate':
          if (body) body = Buffer.from(body).subarray(0, Math.floor(Buffer.byteLength(body) / 2));
          break;
        case 'content-type':
          headers['content-type'] = this.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '*/*', 'garbage']);
          if (this.r.next() < 0.5) headers['content-encoding'] = this.pick(['gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'x']);
          break;
      }
    }
    if ((method === 'GET' || method === 'HEAD') && body !== undefined) body = undefined;
    const qs = query.toString();
    return { participantId, req: { method, path: qs ? `${path}?${qs}` : path, headers, body, label: labels.join('+') } };
  }

  private junkJson(depth: number): Json {
    const r = this.r.next();
    if (depth <= 0 || r < 0.3) return this.pick([null, 0, -1, 1e308, 'x', '', true, 'a'.repeat(100)]);
    if (r < 0.6) return Array.from({ length: Math.floor(this.r.next() * 5) }, () => this.junkJson(depth - 1));
    return Object.fromEntries(Array.from({ length: Math.floor(this.r.next() * 5) }, () => [this.pick(['data', 'header', 'transactions', 'x', 'grant_type', 'advanceSeconds', 'outboundDelivery', `k${this.r.hex(1)}`]), this.junkJson(depth - 1)]));
  }

  /** A body fitting the operation: a signed gzip BPQD payload (sometimes broken), a token form, JSON. */
  private body(op: Operation, participantId: string | undefined, headers: Record<string, string>, labels: string[]): Buffer | string | undefined {
    if (op.operationId === 'submitBpqd') {
      const sender = participantId === 'ACMEMC' ? 'ACMEMC' : 'MDPONE';
      const base = this.pick(this.signed.get(sender) ?? []);
      headers['content-type'] = 'application/json';
      headers['content-encoding'] = 'gzip';
      headers['x-messageContextId'] = `pqd~bpqd~${this.pick(['l', 'l', 'm', 'h'])}~${sender.toLowerCase()}~fz${this.r.hex(6)}`;
      if (this.r.next() < 0.05) {
        labels.push('gzip-bomb');
        headers['x-signature'] = base?.signature ?? 'RSA-SHA256;x';
        return this.bomb;
      }
      if (this.r.next() < 0.4 || !base) {
        labels.push('payload-mutation');
        const payload: Json = base ? JSON.parse(base.json.toString()) : {};
        this.mutatePayload(payload);
        const json = Buffer.from(JSON.stringify(payload));
        // Mostly signed with a signature of other bytes (refused as a mismatch); sometimes really signed.
        const signer = this.signers.get(sender);
        headers['x-signature'] = signer && this.r.next() < 0.2 ? signer.sign(json) : base?.signature ?? 'RSA-SHA256;x';
        return gzipSync(json);
      }
      if (this.r.next() < 0.1) delete headers['x-signature'];
      else headers['x-signature'] = base.signature;
      return base.gzip;
    }
    if (op.operationId === 'requestToken') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams({ grant_type: this.pick(['client_credentials', 'password', '']), client_id: `${(participantId ?? 'x').toLowerCase()}-api`, client_secret: this.r.next() < 0.7 ? `${(participantId ?? 'x').toLowerCase()}-secret` : 'wrong' });
      if (this.r.next() < 0.5) form.set('scope', this.pick(['PQD_BPQD', 'NOPE', '', 'PQD_BPQD PQD_BPQD', 'a'.repeat(3000)]));
      if (this.r.next() < 0.2) form.set(`extra${this.r.hex(1)}`, mutateValue(this.r));
      return form.toString();
    }
    if (['post', 'put', 'patch'].includes(op.method)) {
      headers['content-type'] = 'application/json';
      return JSON.stringify(this.r.next() < 0.5 ? { outboundDelivery: this.pick(['Stopped', 'Started', 'x', 1]) } : this.junkJson(3));
    }
    return undefined;
  }

  private mutatePayload(payload: Json): void {
    if (!payload?.data?.transactions?.[0]) return;
    const tx = payload.data.transactions[0];
    const meter = tx.nmiDetails[0].meters[0];
    this.pick([
      () => { delete payload.data.header.messageId; },
      () => { payload.data.header.receivingParticipantId = Array.from({ length: 500 }, (_, i) => `P${i}`); },
      () => { payload.data.transactions = Array(5000).fill({}); },
      () => { tx.nmiDetails[0].nmiChecksum = '0'; },
      () => { meter.intervals = []; },
      () => { meter.intervals[0].readings[0].voltage.avg = -5; },
      () => { meter.intervals[0].intervalEndDateTime = '2026-07-01T25:00:00.000+10:00'; },
      () => { payload.data.header.priority = 'Urgent'; },
      () => { payload.data.header.receivingParticipantId = ['LNSPSOUTH']; },
      () => { payload.extra = { deep: [[[[[[[[[[1]]]]]]]]]] }; },
      () => { meter.phases = ['A', 'A']; },
      () => { tx.transactionId = 'x'.repeat(10_000); },
    ])();
  }

  /** Raw malformed HTTP/1.1 over TLS: the answer must be problem+json with a trace id. */
  rawCase(): { name: string; bytes: string } {
    const path = this.pick(['/pqd/v1/bpqd', '/oauth/v1/token', '/translog/v1/messages', '/nowhere']);
    return this.pick([
      () => ({ name: 'garbage request line', bytes: `${r8(this.r, 30).replace(/[\r\n]/g, 'x')}\r\n\r\n` }),
      () => ({ name: 'bad version', bytes: `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n` }),
      () => ({ name: 'header overflow', bytes: `GET ${path} HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(17_000 + Math.floor(this.r.next() * 20_000))}\r\n\r\n` }),
      () => ({ name: 'header without colon', bytes: `GET ${path} HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n` }),
      () => ({ name: 'bad content-length', bytes: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n` }),
      () => ({ name: 'two content-lengths', bytes: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab` }),
      () => ({ name: 'bad chunk', bytes: `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\nxx\r\n0\r\n\r\n` }),
      () => ({ name: 'te and cl', bytes: `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n` }),
      () => ({ name: 'expect', bytes: `POST ${path} HTTP/1.1\r\nHost: x\r\nExpect: ${this.pick(['nope', '200-ok', 'x'])}\r\nContent-Length: 0\r\n\r\n` }),
      () => ({ name: 'long url', bytes: `GET ${path}/${'u'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n` }),
      () => ({ name: 'nul in header', bytes: `GET ${path} HTTP/1.1\r\nHost: x\r\nx-a: a\u0000b\r\n\r\n` }),
      () => ({ name: 'bare LF', bytes: `GET ${path} HTTP/1.1\nHost: x\n\n` }),
      () => ({ name: 'bad url escape', bytes: `GET ${path}/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n` }),
    ])();
  }

  async send(participantId: string | undefined, req: FuzzRequest, report: FuzzReport): Promise<void> {
    const where = `${req.method} ${req.path.slice(0, 120)} [${req.label}]`;
    const hangMs = this.o.hangMs ?? 10_000;
    if (process.env.FUZZ_TRACE) appendFileSync(process.env.FUZZ_TRACE, `> ${where}\n`);
    let res;
    try {
      // One request per connection (`reset`): a refusal that leaves part of a body unread closes the
      // connection, and undici must not queue the next request behind it.
      res = await request(`${this.server.url}${req.path}`, { method: req.method as 'GET', headers: req.headers, body: req.body, dispatcher: this.agent(participantId), signal: AbortSignal.timeout(hangMs), reset: true });
    } catch (err) {
      const e = err as Error & { code?: string; name?: string };
      if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') report.hangs.push(where);
      else report.clientErrors++; // undici refused to send it (e.g. an invalid header) or the server closed after a refusal
      return;
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await res.body.arrayBuffer());
    } catch {
      report.hangs.push(`${where}: body never finished`);
      return;
    }
    if (process.env.FUZZ_TRACE) appendFileSync(process.env.FUZZ_TRACE, `< ${where} ${res.statusCode}\n`);
    report.requests++;
    report.byStatus[res.statusCode] = (report.byStatus[res.statusCode] ?? 0) + 1;
    if (!req.path.startsWith('/sim/')) {
      report.idxAnswered++;
      if (res.statusCode === 401) report.idxUnauthorized++;
    }
    if (res.statusCode >= 500) report.serverErrors.push(`${where} → ${res.statusCode} ${bytes.toString().slice(0, 200)}`);
    if (res.statusCode >= 400 && req.method !== 'HEAD') {
      const problem = checkProblem(res.headers as Record<string, unknown>, bytes);
      if (problem) report.notProblemJson.push(`${where} → ${res.statusCode}: ${problem}`);
    }
    // Judged against the path the server was sent: undici resolves dot segments (`/sim/v1/participants/..` goes
    // out as `/sim/v1/`, which has no route), and the 404 for it is not the named operation's answer.
    const sent = new URL(`${this.server.url}${req.path}`);
    const violations = this.server.ctx.contract.checkResponse({ method: req.method, url: `${sent.pathname}${sent.search}`, statusCode: res.statusCode, headers: res.headers as Record<string, unknown>, body: req.method === 'HEAD' ? Buffer.alloc(0) : bytes });
    if (req.method !== 'HEAD') for (const v of violations ?? []) report.contractViolations.push(`${v} [${req.label}]`);
  }

  sendRaw(report: FuzzReport): Promise<void> {
    const c = this.rawCase();
    const hangMs = this.o.hangMs ?? 10_000;
    return new Promise((resolve) => {
      let raw = '';
      const socket = connect({ host: this.url.hostname, port: Number(this.url.port), servername: 'localhost', ...this.tls(this.pick(PARTICIPANTS)) }, () => socket.write(c.bytes));
      const timer = setTimeout(() => {
        report.hangs.push(`raw ${c.name}`);
        socket.destroy();
      }, hangMs);
      socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        report.rawExchanges++;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
        report.byStatus[`raw ${status}`] = (report.byStatus[`raw ${status}`] ?? 0) + 1;
        if (status >= 500) report.serverErrors.push(`raw ${c.name} → ${status}`);
        if (status === 0) report.notProblemJson.push(`raw ${c.name}: closed without an answer`);
        else if (status >= 400) {
          const [head = '', ...rest] = raw.split('\r\n\r\n');
          const headers = Object.fromEntries(head.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
          const problem = checkProblem(headers, Buffer.from(rest.join('\r\n\r\n'), 'latin1'));
          if (problem) report.notProblemJson.push(`raw ${c.name} → ${status}: ${problem}`);
        }
        resolve();
      });
      // A request the server answers but keeps the connection for: close our side after the answer.
      socket.on('data', () => {
        if (/\r\n\r\n/.test(raw) && !/connection: close/i.test(raw)) setTimeout(() => socket.end(), 20);
      });
    });
  }

  async run(): Promise<FuzzReport> {
    const report: FuzzReport = { seed: this.o.seed, requests: 0, rawExchanges: 0, seconds: 0, byStatus: {}, idxAnswered: 0, idxUnauthorized: 0, serverErrors: [], hangs: [], stalls: [], notProblemJson: [], contractViolations: [], clientErrors: 0, aliveAtEnd: false, crashed: [] };
    const onCrash = (err: unknown) => report.crashed.push(String((err as Error)?.stack ?? err).slice(0, 500));
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const started = performance.now();
    const deadline = started + this.o.maxSeconds * 1000;
    const rawEvery = this.o.rawEvery ?? 20;
    let issued = 0;
    let lastLog = started;
    try {
      await this.setup();
      const worker = async () => {
        while (issued < this.o.requests && performance.now() < deadline) {
          const n = issued++;
          if (process.env.FUZZ_TRACE) appendFileSync(process.env.FUZZ_TRACE, `gen ${n}\n`);
          if (n % rawEvery === rawEvery - 1) await this.sendRaw(report);
          if (process.env.FUZZ_TRACE) appendFileSync(process.env.FUZZ_TRACE, `raw-done ${n}\n`);
          const { participantId, req } = this.generate();
          // A watchdog beside undici's own timeouts: a request that never settles is a hang, reported with what it was.
          let timer: NodeJS.Timeout | undefined;
          const settled = await Promise.race([
            this.send(participantId, req, report).then(() => true),
            new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), (this.o.hangMs ?? 10_000) * 2))),
          ]);
          clearTimeout(timer);
          if (!settled) {
            report.stalls.push(`${req.method} ${req.path.slice(0, 200)} [${req.label}] (never settled)`);
            const key = participantId ?? '-';
            void this.agents.get(key)?.destroy();
            this.agents.delete(key);
          }
          if (this.o.log && performance.now() - lastLog > 10_000) {
            lastLog = performance.now();
            this.o.log(`${issued} requests, ${((performance.now() - started) / 1000).toFixed(0)} s, ${report.serverErrors.length} ≥500, ${report.hangs.length} hangs`);
          }
        }
      };
      await Promise.all(Array.from({ length: this.o.concurrency }, worker));
      // Still alive and answering?
      const res = await request(`${this.server.url}/bfinfo/v1/businessFunctions`, { dispatcher: this.agent('MDPONE'), headers: { authorization: `Bearer ${this.tokens.get('MDPONE')}`, 'x-initiatingParticipantId': 'MDPONE', 'x-market': 'NEM' }, signal: AbortSignal.timeout(10_000) });
      await res.body.arrayBuffer();
      report.aliveAtEnd = res.statusCode === 200;
    } finally {
      report.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      await Promise.all([...this.agents.values()].map((a) => a.close()));
    }
    return report;
  }
}

function r8(r: SeededRandom, n: number): string {
  return String.fromCharCode(...Array.from({ length: n }, () => Math.floor(r.next() * 256)));
}

/** Why a refusal is not RFC 9457 problem+json with its trace id, or undefined when it is. */
function checkProblem(headers: Record<string, unknown>, body: Buffer): string | undefined {
  if (!/^application\/problem\+json/.test(String(headers['content-type'] ?? ''))) return `content-type ${String(headers['content-type'])}`;
  let json: Json;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (!/^IDX_ERR_/.test(json.code ?? '')) return 'no IDX_ERR_ code';
  if (!json.traceId || json.traceId !== headers['x-traceid']) return `traceId ${json.traceId} ≠ x-traceId ${String(headers['x-traceid'])}`;
  return undefined;
}

export function summarise(report: FuzzReport): string {
  const failures = report.serverErrors.length + report.hangs.length + report.notProblemJson.length + report.contractViolations.length + report.crashed.length + (report.aliveAtEnd ? 0 : 1);
  return [
    `fuzz seed ${report.seed}: ${report.requests} requests + ${report.rawExchanges} raw exchanges in ${report.seconds} s (${report.clientErrors} not sent or cut by the client)`,
    `  statuses: ${Object.entries(report.byStatus).sort().map(([s, n]) => `${s}×${n}`).join(' ')}`,
    `  IDX APIs: ${report.idxAnswered} answered, ${report.idxUnauthorized} of them 401`,
    `  ≥500: ${report.serverErrors.length}, hangs: ${report.hangs.length}, client stalls: ${report.stalls.length}, not problem+json: ${report.notProblemJson.length}, contract violations: ${report.contractViolations.length}, crashes: ${report.crashed.length}, alive at end: ${report.aliveAtEnd}`,
    ...[...report.serverErrors, ...report.hangs, ...report.stalls, ...report.notProblemJson, ...report.contractViolations, ...report.crashed].slice(0, 20).map((l) => `  ! ${l}`),
    failures ? '  RESULT: FAIL' : '  RESULT: PASS',
  ].join('\n');
}

/** `npm run fuzz`: a fresh server on 127.0.0.1 in this process, the long run, a summary; exit 1 on any failure. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string' }, seed: { type: 'string' }, 'max-seconds': { type: 'string' }, concurrency: { type: 'string' } } });
  const { startServer } = await import('../src/server.js');
  const dir = mkdtempSync(join(tmpdir(), 'idx-sim-fuzz-'));
  const server = await startServer({
    host: '127.0.0.1', port: 0, logLevel: 'silent', profile: 'ci', dataDir: join(dir, 'data'), certsDir: join(dir, 'certs'),
    fixturesDir: join(PROJECT_ROOT, 'fixtures'), clockStart: '2026-07-02T09:00:00.000+10:00', clockFrozen: true, seed: 'fuzz',
  });
  try {
    const options: FuzzOptions = {
      seed: values.seed ?? String(Date.now()),
      requests: Number(values.requests ?? 100_000),
      maxSeconds: Number(values['max-seconds'] ?? 1800),
      concurrency: Number(values.concurrency ?? 16),
      certsDir: join(dir, 'certs'),
      log: (line) => process.stderr.write(`${line}\n`),
    };
    const report = await new Fuzzer(server, options).run();
    process.stdout.write(`${summarise(report)}\n  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}\n`);
    process.exitCode = summarise(report).endsWith('PASS') ? 0 : 1;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  main().catch((err) => {
    process.stderr.write(`fuzz: ${(err as Error).stack}\n`);
    process.exit(2);
  });
}
