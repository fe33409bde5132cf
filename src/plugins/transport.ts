/**
 * Refusals made below the routes (issue 7 defects 6, 8, 11; issue 8): what Node's HTTP parser and the
 * TLS server refuse before Fastify sees a request — headers too large (431), a malformed request line
 * (400), a request that did not arrive in time (408), an `Expect` the hub cannot meet (417) — and the
 * 503 of a request that arrives while the hub shuts down. Each leaves as RFC 9457 problem+json with a
 * trace id like every other refusal, with `Connection: close` when the socket is closed after it.
 * Client misbehaviour is logged at info/warn, without a stack trace: it is not a server error.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { IdxError, problemType, type ErrorCode } from '../domain/errors.js';
import { problemInstance } from './problem-details.js';

/** Node's clientError codes → the refusal they get. Anything else the parser rejects is a 400. */
const CLIENT_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: { code: 'IDX_ERR_HEADERS_TOO_LARGE', detail: 'the request line and headers exceed the server\'s limit (16 KiB); send shorter headers' },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'IDX_ERR_REQUEST_TIMEOUT', detail: 'the request (headers and body) was not received within the server\'s timeout' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { code: 'IDX_ERR_HTTP_INVALID', detail: 'chunk extensions too large' },
};

/** A problem+json body with a fresh trace id, for answers written outside Fastify's reply. */
export function transportProblem(ctx: AppContext, err: IdxError, instance: string): { traceId: string; body: string } {
  const traceId = ctx.random.hex(16);
  const body = JSON.stringify({
    type: problemType(err.code), title: err.title, status: err.status, detail: err.detail, instance, traceId, code: err.code,
    ...(err.errors.length ? { errors: err.errors } : {}),
  });
  return { traceId, body };
}

/** Fastify's `clientErrorHandler`: answers what can still be answered, then closes the socket. */
export function clientErrorHandler(ctx: AppContext) {
  return function onClientError(this: FastifyInstance, err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
    // A reset or closed socket, or a response already under way: nothing can be said any more.
    const response = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || socket.destroyed || !socket.writable || response?.headersSent) {
      this.log.info({ code: err.code }, 'client connection ended with an error');
      socket.destroy();
      return;
    }
    const known = CLIENT_ERRORS[err.code ?? ''];
    const refusal = known
      ? new IdxError(known.code, known.detail)
      : new IdxError('IDX_ERR_HTTP_INVALID', `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}: ${String(err.message).slice(0, 120)})`);
    const { traceId, body } = transportProblem(ctx, refusal, '/');
    this.log.info({ traceId, code: err.code, status: refusal.status }, 'refused a request the HTTP parser could not accept');
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-traceId: ${traceId}\r\n` +
      `Connection: close\r\n\r\n${body}`);
    // end() flushes the answer first; a client that never reads it must not hold the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}

/**
 * Node answers an `Expect` other than `100-continue` with a bare 417 unless someone listens for it
 * (RFC 9110 §10.1.1). The hub supports no expectation: 417 problem+json, connection closed.
 */
export function registerTransport(app: FastifyInstance, ctx: AppContext): { closing(): boolean } {
  let closing = false;
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = new IdxError('IDX_ERR_EXPECTATION_FAILED', 'the hub meets no Expect other than 100-continue; send the request without it',
      { errors: [{ in: 'header', name: 'Expect', code: 'EXPECTATION', message: 'only 100-continue is supported' }] });
    const { traceId, body } = transportProblem(ctx, refusal, problemInstance(req.url ?? '/'));
    app.log.info({ traceId, expect: String(req.headers.expect).slice(0, 100) }, 'refused an Expect header');
    res.writeHead(417, { 'content-type': 'application/problem+json', 'x-traceId': traceId, connection: 'close', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  // Once shutdown starts, a request that still arrives on an open keep-alive connection is refused
  // (Fastify adds `Connection: close`), instead of Fastify's plain-JSON 503.
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) {
      throw new IdxError('IDX_ERR_SHUTTING_DOWN', 'the hub is shutting down; retry on a new connection once it is back',
        { headers: { 'retry-after': '5', connection: 'close' } });
    }
  });
  return { closing: () => closing };
}
