/**
 * Evidence of each exchange a step makes, trimmed and with secrets redacted (Authorization, client_secret,
 * access_token, the control API key): what the report, JUnit and defects show of a request.
 */
import { UndiciTransport, type ClientIdentity, type Reply } from '../client/idx-client.js';
import type { Exchange } from './result-model.js';

const REQUEST_BODY_LIMIT = 2048;
const RESPONSE_BODY_LIMIT = 4096;
const HEADER_VALUE_LIMIT = 256;
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-admin-key']);

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : String(v);
    if (SECRET_HEADERS.has(k.toLowerCase())) out[k] = value.replace(/^(\w+\s+)?.*$/, (_, scheme: string | undefined) => `${scheme ?? ''}[redacted]`);
    // An x-signature is kilobytes of base64: its start identifies it.
    else out[k] = value.length > HEADER_VALUE_LIMIT ? `${value.slice(0, 96)}… (${value.length} characters)` : value;
  }
  return out;
}

/** Masks secret values in a text body: form fields and JSON properties. */
export function redactBody(text: string): string {
  return text
    .replace(/((?:^|&)(?:client_secret|access_token|password)=)[^&]*/g, '$1[redacted]')
    .replace(/("(?:client_secret|access_token|clientSecret|adminKey|password)"\s*:\s*)"[^"]*"/g, '$1"[redacted]"');
}

export function bodyExcerpt(body: Buffer | string | undefined, headers: Record<string, string | string[] | undefined>, limit: number): string | undefined {
  if (body === undefined || body.length === 0) return undefined;
  const encoding = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  if (String(encoding ?? '').includes('gzip') || (bytes[0] === 0x1f && bytes[1] === 0x8b)) return `<${bytes.length} bytes gzip>`;
  const text = bytes.subarray(0, limit).toString('utf8');
  return redactBody(text) + (bytes.length > limit ? `… (${bytes.length} bytes)` : '');
}

export function traceIdOf(headers: Record<string, string | string[] | undefined> | undefined, json: unknown): string | undefined {
  const fromHeader = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-traceid')?.[1];
  if (fromHeader) return Array.isArray(fromHeader) ? fromHeader[0] : fromHeader;
  const t = (json as { traceId?: unknown } | undefined)?.traceId;
  return typeof t === 'string' ? t : undefined;
}

export function exchangeOf(method: string, url: string, requestHeaders: Record<string, string | string[] | undefined>, requestBody: Buffer | string | undefined,
  reply: Reply | undefined, durationMs: number): Exchange {
  return {
    method, url, requestHeaders: redactHeaders(requestHeaders),
    ...(bodyExcerpt(requestBody, requestHeaders, REQUEST_BODY_LIMIT) !== undefined ? { requestBody: bodyExcerpt(requestBody, requestHeaders, REQUEST_BODY_LIMIT) } : {}),
    ...(reply ? {
      status: reply.status, responseHeaders: redactHeaders(reply.headers),
      ...(bodyExcerpt(reply.body, reply.headers, RESPONSE_BODY_LIMIT) !== undefined ? { responseBody: bodyExcerpt(reply.body, reply.headers, RESPONSE_BODY_LIMIT) } : {}),
      ...(traceIdOf(reply.headers, reply.json()) ? { traceId: traceIdOf(reply.headers, reply.json()) } : {}),
    } : {}),
    durationMs: Math.round(durationMs * 10) / 10,
  };
}

/**
 * undici over TLS that records every exchange into the current step's list (`sink`). It is an
 * UndiciTransport, so the participant's event WebSocket rides the same agent and certificate.
 */
export class RecordingTransport extends UndiciTransport {
  sink: Exchange[] = [];
  constructor(identity: ClientIdentity, private readonly baseUrl: string) {
    super(identity);
  }

  override async send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply> {
    const started = performance.now();
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    try {
      const reply = await super.send(method, path, headers, body);
      this.sink.push(exchangeOf(method, url, headers, body, reply, reply.ms));
      return reply;
    } catch (err) {
      this.sink.push({ ...exchangeOf(method, url, headers, body, undefined, performance.now() - started), responseBody: `no answer: ${(err as Error).message}` });
      throw err;
    }
  }
}
