/**
 * A fresh hub per test: in-memory SQLite (a fresh PostgreSQL database under `npm run test:postgres`) with the fixtures and the test PKI's certificates registered, a
 * frozen clock, a seeded random source, and `inject` with a client certificate passed out of band (the TLS
 * handshake is exercised by the e2e tests). Submissions are signed like a participant signs them. Every
 * response is checked against the OpenAPI documents; a violation fails the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, inject } from 'vitest';
import type { WebSocket } from 'ws';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createContext, PROJECT_ROOT, type AppContext } from '../../src/context.js';
import { generateBpqdPayload, type GenerateOptions } from '../../src/domain/bpqd-generator.js';
import type { BpqdPayload } from '../../src/domain/bpqd-payload.js';
import { AdjustableClock } from '../../src/domain/clock.js';
import { SeededRandom } from '../../src/domain/random.js';
import { pkiPaths, type CertificateSlot } from '../../src/pki/dev-ca.js';
import { registerCertificatesFromDir } from '../../src/security/certificate-registry.js';
import { MessageSigner } from '../../src/security/message-signature.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { readFixtures, type Fixtures } from '../../src/store/fixtures.js';
import type { HubBus } from '../../src/services/hub-bus.js';
import { recordExercised } from './contract-coverage.js';
import { unlocatedRefusal } from './problems.js';
import { openTestDatabase } from './database.js';

/** A parsed JSON body or frame whose shape the test asserts (rather than declares). */
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Test-only header carrying the client certificate (base64 PEM) when there is no TLS socket. */
export const TEST_CERT_HEADER = 'x-test-client-cert';
/** 2026-07-02 09:00 AEST: the day after the sample payloads' BPQD period. */
export const T0 = Date.parse('2026-07-02T09:00:00.000+10:00');

export const pkiDir = (): string => inject('pkiDir');

export function certificatePem(participantId: string, slot: CertificateSlot = 'primary'): string {
  return readFileSync(pkiPaths(pkiDir()).participantCert(participantId, slot), 'utf8');
}

const signers = new Map<string, MessageSigner>();
let projectFixtures: Fixtures | undefined;

/** The signer of a fixture participant's certificate (certs/participants/<ID>/<slot>.{crt,key}), as `idx-sim sign` uses it. */
export function signerFor(participantId: string, slot: CertificateSlot = 'primary'): MessageSigner {
  const key = `${participantId}/${slot}`;
  let signer = signers.get(key);
  if (!signer) {
    const paths = pkiPaths(pkiDir());
    signer = new MessageSigner({ certPem: readFileSync(paths.participantCert(participantId, slot), 'utf8'), keyPem: readFileSync(paths.participantKey(participantId, slot), 'utf8') });
    signers.set(key, signer);
  }
  return signer;
}

export function certHeader(pem: string): Record<string, string> {
  return { [TEST_CERT_HEADER]: Buffer.from(pem).toString('base64') };
}

/** A WebSocket subscriber on /events/v1; every frame it receives is checked against events.asyncapi.yaml. */
export interface EventClient {
  frames: Json[];
  /** The first frame (already received or arriving within `ms`) that matches. */
  waitFor(predicate: (frame: Json) => boolean, ms?: number): Promise<Json>;
  send(frame: unknown): void;
  close(): void;
}

export interface Harness {
  app: FastifyInstance;
  ctx: AppContext;
  clock: AdjustableClock;
  random: SeededRandom;
  /** Responses checked against the contract so far. */
  checked: number;
  violations: string[];
  token(participantId: string, scope?: string): Promise<string>;
  /** Headers of a fully authenticated request as `participantId`, over its active (by default primary) certificate. */
  as(participantId: string, scope?: string): Promise<Record<string, string>>;
  payload(options: Partial<GenerateOptions> & Pick<GenerateOptions, 'sender'>): BpqdPayload;
  /**
   * POST /pqd/v1/bpqd as `participantId`: gzips a payload object (a Buffer is sent as is), and signs it with
   * the sender's active (by default primary) key over the bytes the hub verifies, unless `headers` carries
   * `x-signature` (a value to send, or `undefined` to send none).
   */
  submit(participantId: string, payload: BpqdPayload | Buffer, headers?: Record<string, string | undefined>): Promise<LightMyRequestResponse>;
  /** Opens the event WebSocket as a participant (in process, through every hook of the real upgrade). */
  events(participantId: string, options?: { scope?: string; query?: string; headers?: Record<string, string> }): Promise<EventClient>;
  /** Headers for the simulator control API. */
  admin(): Record<string, string>;
  /** The `x-signature` value `participantId`'s certificate gives a body (gzip bytes, as sent), per IDX_SIM_SIGNATURE_OVER. */
  signature(participantId: string, body: Buffer, slot?: CertificateSlot): string;
  /** A fresh, valid messageContextId for a sender. */
  contextId(participantId: string, priority?: 'h' | 'm' | 'l'): string;
  close(): Promise<void>;
}

/** How a harness is built beyond its configuration. */
export interface HarnessOptions {
  /** A SQLite file instead of ':memory:', so a second connection can see what is committed. */
  databasePath?: string;
  /** A database opened by the test (another instance's, issue #14); the harness closes it. */
  db?: Db;
  /** When the open group-commit batch commits (default: the next turn of the event loop). */
  scheduleCommit?: (commit: () => void) => void;
  /** Receives the app's log lines (JSON), with `logLevel` set in the overrides. */
  logStream?: { write(line: string): void };
  /** One of several instances on one database (issue #14): its bus to the others. */
  bus?: HubBus;
  /** False when another instance already loaded the fixtures into the shared database. */
  seed?: boolean;
}

export async function createHarness(overrides: Partial<Config> = {}, options: HarnessOptions = {}): Promise<Harness> {
  // The `aemo` profile, so every published limit is real in the suite; a test that needs more requests
  // moves the clock past the window, or asks for `profile: 'ci'` (or a single limit) explicitly.
  const config = loadConfig({ logLevel: (process.env.TEST_LOG_LEVEL as Config['logLevel'] | undefined) ?? 'silent', profile: 'aemo', ...overrides }, {});
  const clock = new AdjustableClock();
  clock.freeze(T0);
  const random = new SeededRandom('test');
  const db = options.db ?? (options.databasePath ? openDatabase({ path: options.databasePath }) : openTestDatabase());
  const paths = pkiPaths(pkiDir());
  const ctx = createContext({
    config, db, clock, random, scheduleCommit: options.scheduleCommit, bus: options.bus,
    caCertPem: readFileSync(paths.caCert, 'utf8'),
    tokenSigningKeyPem: readFileSync(paths.tokenSigningKey, 'utf8'),
    hubSigning: { certPem: readFileSync(paths.hubCert, 'utf8'), keyPem: readFileSync(paths.hubKey, 'utf8') },
    // Also what the control API's reset loads again.
    seed: (c) => {
      // loadFixtures, with the files read once per test process (the suite never edits fixtures/).
      const fixtures = (projectFixtures ??= readFixtures(join(PROJECT_ROOT, 'fixtures')));
      c.participants.replaceFromSource('fixture', fixtures);
      registerCertificatesFromDir(c.certificates, pkiDir(), fixtures.participants.map((p) => p.participantId), c.clock.now());
    },
  });
  if (options.seed !== false) ctx.seed();
  const violations: string[] = [];
  const openSockets: WebSocket[] = [];
  let sequence = 0;
  /** The certificate a participant uses: the slot it rotated to, primary until then. */
  const activeSlot = (participantId: string) => ctx.certificates.view().activeSlot(participantId).slot;
  const h: Harness = {
    app: undefined as unknown as FastifyInstance,
    ctx, clock, random, checked: 0, violations,
    async token(participantId, scope = 'PQD_BPQD EVENT_NOTIFY') {
      const res = await h.app.inject({
        method: 'POST', url: '/oauth/v1/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...certHeader(certificatePem(participantId, activeSlot(participantId))) },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: `${participantId.toLowerCase()}-api`, client_secret: `${participantId.toLowerCase()}-secret`, scope }).toString(),
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().access_token as string;
    },
    async as(participantId, scope) {
      return {
        authorization: `Bearer ${await h.token(participantId, scope)}`,
        'x-initiatingParticipantId': participantId,
        // Required on Flow Control and BFI (spec §3), ignored elsewhere: sent always, as a client library would.
        'x-market': 'NEM',
        ...certHeader(certificatePem(participantId, activeSlot(participantId))),
      };
    },
    payload(options) {
      return generateBpqdPayload(random, {
        recipients: ['LNSPNORTH'], nmis: ['4102000001'], date: '2026-07-01', intervalCount: 3, ...options,
      });
    },
    async events(participantId, options = {}) {
      const frames: Json[] = [];
      const validate = ctx.contract.validator('events.asyncapi.yaml', '#/components/schemas/ServerFrame');
      // injectWS hands the headers object to Fastify as is; a real HTTP parser would lower-case the names.
      const headers = Object.fromEntries(Object.entries({ ...(await h.as(participantId, options.scope ?? 'PQD_BPQD EVENT_NOTIFY')), ...options.headers })
        .map(([k, v]) => [k.toLowerCase(), v]));
      const ws = await (h.app as unknown as { injectWS: (path: string, ctx: object, o: object) => Promise<WebSocket> })
        .injectWS(`/events/v1${options.query ?? ''}`, { headers }, {
          onInit: (socket: WebSocket) => socket.on('message', (data) => {
            const frame = JSON.parse(data.toString());
            if (!validate(frame)) violations.push(`event frame ${JSON.stringify(frame)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
            frames.push(frame);
          }),
        });
      openSockets.push(ws);
      // The upgrade's 101 never reaches the response observer: record it here.
      recordExercised(ctx.contract, { method: 'GET', url: '/events/v1', statusCode: 101 });
      return {
        frames,
        async waitFor(predicate, ms = 2000) {
          const deadline = Date.now() + ms;
          for (;;) {
            const found = frames.find(predicate);
            if (found) return found;
            if (Date.now() > deadline) throw new Error(`no matching event frame within ${ms} ms; got ${JSON.stringify(frames.map((f) => f.eventType))}`);
            await new Promise((r) => setTimeout(r, 5));
          }
        },
        send: (frame) => ws.send(JSON.stringify(frame)),
        close: () => ws.terminate(),
      };
    },
    admin() {
      return { authorization: `Bearer ${config.adminKey}` };
    },
    contextId(participantId, priority = 'l') {
      return `pqd~bpqd~${priority}~${participantId.toLowerCase()}~t${String(++sequence).padStart(6, '0')}`;
    },
    signature(participantId, body, slot = activeSlot(participantId)) {
      let signed = body;
      if (ctx.config.signatureOver === 'json') {
        try {
          signed = gunzipSync(body);
        } catch {
          signed = body; // not gzip: the hub refuses the body before it looks at the signature's bytes
        }
      }
      return signerFor(participantId, slot).sign(signed, { signingTime: new Date(clock.now()) });
    },
    async submit(participantId, payload, headers = {}) {
      const body = Buffer.isBuffer(payload) ? payload : gzipSync(JSON.stringify(payload));
      const priority = Buffer.isBuffer(payload) ? 'l' : ({ High: 'h', Medium: 'm', Low: 'l' } as const)[payload.data.header.priority];
      const all: Record<string, string | undefined> = {
        ...(await h.as(participantId)),
        'x-messageContextId': h.contextId(participantId, priority),
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        ...('x-signature' in headers ? {} : { 'x-signature': h.signature(participantId, body) }),
        ...headers,
      };
      const clean = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>;
      return h.app.inject({ method: 'POST', url: '/pqd/v1/bpqd', headers: clean, payload: body });
    },
    async close() {
      for (const ws of openSockets) ws.terminate();
      await h.app.close();
      db.close();
    },
  };
  h.app = await buildApp(ctx, {
    ...(options.logStream ? { logStream: options.logStream } : {}),
    peerCertificate: (request) => {
      const value = request.headers[TEST_CERT_HEADER];
      return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
    },
    responseObserver: (request, reply, payload) => {
      // An injected fault (control API) breaks the contract on purpose, and says so.
      if (reply.getHeader('x-idx-sim-fault') !== undefined) return;
      const body = payload === undefined || payload === null ? Buffer.alloc(0) : Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload));
      const problems = ctx.contract.checkResponse({
        method: request.method, url: request.url, statusCode: reply.statusCode, headers: reply.getHeaders() as Record<string, unknown>, body,
      });
      if (problems === undefined) return;
      recordExercised(ctx.contract, { method: request.method, url: request.url, statusCode: reply.statusCode });
      h.checked++;
      violations.push(...problems);
      const unlocated = unlocatedRefusal(reply.statusCode, reply.getHeader('content-type'), body);
      if (unlocated) violations.push(`${request.method} ${request.url.split('?')[0]}: ${unlocated}`);
    },
  });
  await h.app.ready();
  return h;
}

/**
 * Registers beforeEach/afterEach: a fresh harness per test, and after each test the contract check —
 * every API response the test produced must match the OpenAPI documents.
 */
export function useHarness(overrides: Partial<Config> = {}, options: () => HarnessOptions = () => ({})): () => Harness {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await createHarness(overrides, options());
  });
  afterEach(async () => {
    const h = current!;
    current = undefined;
    await h.close();
    expect(h.violations, 'responses that break the OpenAPI contract').toEqual([]);
  });
  return () => {
    if (!current) throw new Error('harness used outside a test');
    return current;
  };
}
