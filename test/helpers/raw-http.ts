/**
 * Raw HTTP/1.1 over a real TLS socket, for what a well-behaved client library never sends: malformed
 * request lines, oversized headers, bodies that never finish. The response is parsed just enough to
 * check it is problem+json with a trace id, and whether the server closed the connection.
 */
import { connect, type TLSSocket } from 'node:tls';
import type { E2e } from './e2e.js';

export interface RawResponse {
  /** Everything the server sent. */
  raw: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server ended the connection (within the wait). */
  closed: boolean;
}

export function parseRawResponse(raw: string, closed: boolean): RawResponse {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { raw, status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), closed };
}

/** Opens a TLS connection presenting a participant's certificate (none when undefined). */
export function openTls(e2e: E2e, participantId: string | undefined): Promise<TLSSocket> {
  const url = new URL(e2e.server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), servername: 'localhost', ...e2e.tls(participantId) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `request` (already formatted bytes) and collects the answer until the server closes the
 * connection or, when `untilClose` is false, until one complete response (by Content-Length) arrived.
 */
export async function rawExchange(e2e: E2e, request: string | Buffer, options: { participantId?: string; untilClose?: boolean; socket?: TLSSocket } = {}): Promise<RawResponse> {
  const socket = options.socket ?? await openTls(e2e, options.participantId);
  return readResponse(socket, () => socket.write(request), options.untilClose ?? true);
}

/** Collects what the server sends after `start()`: until it closes the socket, or one whole response. */
export function readResponse(socket: TLSSocket, start: () => void, untilClose: boolean): Promise<RawResponse> {
  return new Promise((resolve) => {
    let raw = '';
    const done = (closed: boolean) => {
      socket.removeAllListeners('data');
      resolve(parseRawResponse(raw, closed));
    };
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      if (!untilClose) {
        const parsed = parseRawResponse(raw, false);
        const length = Number(parsed.headers['content-length'] ?? NaN);
        if (raw.includes('\r\n\r\n') && Buffer.byteLength(parsed.body, 'latin1') >= length) done(false);
      }
    });
    socket.once('close', () => done(true));
    socket.once('error', () => undefined);
    start();
  });
}
