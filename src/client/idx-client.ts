/**
 * A real IDX client: mTLS with the participant's certificate (undici), an OAuth client-credentials token
 * (spec §4.8), and the PQD calls as AEMO publishes them (spec §4.1, §13.4) — so it works against idx-sim
 * and, with a participant's own certificate, credentials and URL, against AEMO's pre-production. The CLI
 * (`idx-sim token|submit|poll|events|doctor`) and the virtual counterparties both talk through it.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Agent, request, WebSocket } from 'undici';
import { systemClock } from '../domain/clock.js';
import { PRIORITY_LETTER, type PriorityLetter, type PriorityWord } from '../domain/message-context-id.js';

export interface ClientIdentity {
  /** Base URL of the hub, e.g. `https://127.0.0.1:8443` or `https://apis.nem.ppd.marketnet.net.au`. */
  url: string;
  participantId: string;
  /** Client certificate and key (PEM). */
  cert: string | Buffer;
  key: string | Buffer;
  /** CA bundle to trust (PEM); the system's CAs when absent. */
  ca?: string | Buffer;
  /** URM user (client_id) and password (client_secret). */
  clientId: string;
  clientSecret: string;
  /** Token endpoint, absolute or relative to `url` (default `/oauth/v1/token`). */
  tokenPath?: string;
  /** Base path of the PQD API (default `/pqd/v1`). */
  pqdPath?: string;
  /** Base path of the event channel (default `/events/v1`). */
  eventsPath?: string;
  /** TLS server name to check (default: the URL's host). */
  servername?: string;
  /** Abort a request after this many ms (default 30 s). */
  timeoutMs?: number;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body as JSON, or undefined when it is not JSON. */
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  ms: number;
}

/** Whatever can carry an HTTP exchange to the hub: undici over TLS (real), or app.inject (in-process tests). */
export interface Transport {
  send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply>;
  close(): Promise<void>;
}

export interface TokenResult {
  accessToken: string;
  expiresIn: number;
  scope: string | undefined;
}

export interface SubmitOptions {
  /** Unique per sender; a fresh one is made from `uniqueId` otherwise. */
  messageContextId?: string;
  priority?: PriorityLetter;
  /** The x-signature value; required by the hub unless it runs with IDX_SIM_SIGNATURE_REQUIRED=false. */
  signature?: string;
  schemaVersion?: string;
  /** gzip bytes to send instead of gzipping the JSON. */
  gzip?: Buffer;
}

/** A failed call: the hub's problem+json when there is one. */
export class IdxCallError extends Error {
  constructor(readonly reply: Reply, what: string) {
    const problem = reply.json();
    super(`${what}: ${reply.status}${problem?.code ? ` ${problem.code}` : ''}${problem?.detail ? ` — ${problem.detail}` : ''}`);
    this.name = 'IdxCallError';
  }
}

function toReply(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer, ms: number): Reply {
  let parsed: unknown;
  let done = false;
  return {
    status, headers, body, ms,
    json() {
      if (!done) {
        done = true;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
      }
      return parsed;
    },
  };
}

/** undici over TLS with the client certificate; one keep-alive agent per client. */
export class UndiciTransport implements Transport {
  readonly agent: Agent;
  constructor(private readonly id: ClientIdentity) {
    this.agent = new Agent({
      connect: { cert: id.cert, key: id.key, ...(id.ca ? { ca: id.ca } : {}), ...(id.servername ? { servername: id.servername } : {}) },
      headersTimeout: id.timeoutMs ?? 30_000,
      bodyTimeout: id.timeoutMs ?? 30_000,
    });
  }

  async send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply> {
    const started = performance.now();
    const url = /^https?:\/\//.test(path) ? path : `${this.id.url.replace(/\/$/, '')}${path}`;
    const res = await request(url, { method: method as 'GET', headers, body, dispatcher: this.agent });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return toReply(res.statusCode, res.headers as Record<string, string | string[] | undefined>, bytes, performance.now() - started);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export { toReply };

/** `pqd~bpqd~l~mdpone~<unique>`: the messageContextId grammar of spec §3. */
export function newMessageContextId(participantId: string, priority: PriorityLetter, unique: string): string {
  return `pqd~bpqd~${priority}~${participantId.toLowerCase()}~${unique.toLowerCase().replace(/[^0-9a-z_-]/g, '').slice(0, 36)}`;
}

export class IdxClient {
  private cached: { token: string; scope: string; until: number } | undefined;
  private sequence = 0;

  constructor(readonly identity: ClientIdentity, readonly transport: Transport = new UndiciTransport(identity),
    private readonly now: () => number = () => systemClock.now()) {}

  get participantId(): string {
    return this.identity.participantId;
  }

  /** POST the token endpoint (spec §4.8): client credentials over mTLS. */
  async requestToken(scope = 'PQD_BPQD EVENT_NOTIFY'): Promise<TokenResult & { reply: Reply }> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.identity.clientId, client_secret: this.identity.clientSecret, scope });
    const reply = await this.transport.send('POST', this.identity.tokenPath ?? '/oauth/v1/token', { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form.toString());
    if (reply.status !== 200) throw new IdxCallError(reply, 'token request refused');
    const body = reply.json() as { access_token?: string; expires_in?: number; scope?: string } | undefined;
    if (!body?.access_token) throw new IdxCallError(reply, 'token response has no access_token');
    return { accessToken: body.access_token, expiresIn: body.expires_in ?? 0, scope: body.scope, reply };
  }

  /** A cached token, renewed a minute before it expires. */
  async token(scope = 'PQD_BPQD EVENT_NOTIFY'): Promise<string> {
    if (this.cached && this.cached.scope === scope && this.cached.until > this.now()) return this.cached.token;
    const t = await this.requestToken(scope);
    this.cached = { token: t.accessToken, scope, until: this.now() + Math.max(0, t.expiresIn - 60) * 1000 };
    return t.accessToken;
  }

  forgetToken(): void {
    this.cached = undefined;
  }

  /** Authorization, x-initiatingParticipantId and x-market, as every IDX call carries them (spec §3). */
  async headers(scope?: string): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.token(scope)}`, 'x-initiatingParticipantId': this.participantId, 'x-market': 'NEM', accept: 'application/json' };
  }

  /** An authenticated call; a 401 for an expired token is retried once with a fresh token. */
  async call(method: string, path: string, extra: Record<string, string> = {}, body?: Buffer | string): Promise<Reply> {
    let reply = await this.transport.send(method, path, { ...(await this.headers()), ...extra }, body);
    if (reply.status === 401 && (reply.json() as { code?: string } | undefined)?.code === 'IDX_ERR_TOKEN_EXPIRED') {
      this.forgetToken();
      reply = await this.transport.send(method, path, { ...(await this.headers()), ...extra }, body);
    }
    return reply;
  }

  private get pqd(): string {
    return this.identity.pqdPath ?? '/pqd/v1';
  }

  uniqueId(): string {
    return `c${this.now().toString(36)}${(++this.sequence).toString(36).padStart(4, '0')}`;
  }

  /** POST /bpqd: gzip (unless given), headers of spec §3. */
  async submit(json: Buffer | string, o: SubmitOptions = {}): Promise<Reply & { messageContextId: string }> {
    const priority = o.priority ?? priorityOf(json) ?? 'l';
    const messageContextId = o.messageContextId ?? newMessageContextId(this.participantId, priority, this.uniqueId());
    const body = o.gzip ?? gzipSync(json);
    const reply = await this.call('POST', `${this.pqd}/bpqd`, {
      'content-type': 'application/json', 'content-encoding': 'gzip', 'x-messageContextId': messageContextId,
      ...(o.signature ? { 'x-signature': o.signature } : {}), ...(o.schemaVersion ? { 'x-schemaVersion': o.schemaVersion } : {}),
    }, body);
    return Object.assign(reply, { messageContextId });
  }

  /** GET /bpqd: one page of queue metadata. */
  async list(query: { itemCount?: number; cursor?: string; fromDateTime?: string; toDateTime?: string; priority?: string } = {}): Promise<Reply> {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)] as [string, string]));
    return this.call('GET', `${this.pqd}/bpqd${q.size ? `?${q}` : ''}`);
  }

  /** GET /bpqd/{id}: the payload (gzip as stored) and the hub's x-signature. */
  async get(messageContextId: string): Promise<Reply> {
    return this.call('GET', `${this.pqd}/bpqd/${encodeURIComponent(messageContextId)}`, { 'accept-encoding': 'gzip' });
  }

  async delete(messageContextId: string): Promise<Reply> {
    return this.call('DELETE', `${this.pqd}/bpqd/${encodeURIComponent(messageContextId)}`);
  }

  /**
   * Opens the event channel (spec §4.7, §13.6) over the same certificate; frames go to `onFrame`.
   * Only for the undici transport (a real socket).
   */
  async events(onFrame: (frame: unknown, raw: string) => void, o: { businessFunctionIds?: string } = {}): Promise<WebSocket> {
    if (!(this.transport instanceof UndiciTransport)) throw new Error('the event channel needs a real TLS connection');
    const base = this.identity.url.replace(/^http/, 'ws').replace(/\/$/, '');
    const url = `${base}${this.identity.eventsPath ?? '/events/v1'}${o.businessFunctionIds ? `?businessFunctionIds=${encodeURIComponent(o.businessFunctionIds)}` : ''}`;
    const headers = await this.headers();
    const ws = new WebSocket(url, { dispatcher: this.transport.agent, headers } as unknown as string[]);
    ws.addEventListener('message', (event) => {
      const raw = typeof event.data === 'string' ? event.data : Buffer.from(event.data as ArrayBuffer).toString('utf8');
      let frame: unknown = raw;
      try {
        frame = JSON.parse(raw);
      } catch { /* printed as text */ }
      onFrame(frame, raw);
    });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', (e) => reject(new Error(`event channel: ${(e as unknown as { message?: string; error?: Error }).error?.message ?? (e as unknown as { message?: string }).message ?? 'connection failed'}`)), { once: true });
      ws.addEventListener('close', (e) => reject(new Error(`event channel closed: ${e.code} ${e.reason}`)), { once: true });
    });
    return ws;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** The priority a payload's header declares (`"priority": "Low"` → `l`). */
export function priorityOf(json: Buffer | string): PriorityLetter | undefined {
  const m = /"priority"\s*:\s*"(High|Medium|Low)"/.exec(typeof json === 'string' ? json.slice(0, 4096) : json.subarray(0, 4096).toString('utf8'));
  return m ? PRIORITY_LETTER[m[1] as PriorityWord] : undefined;
}

export function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}
