/**
 * The bare baseline of the bench suite (issue #13): Fastify 5 + better-sqlite3 over the same mTLS as
 * idx-sim (its dev CA, server certificate and client certificates), doing only the work no BPQD hub can
 * avoid, so `idx-sim ÷ baseline` says what idx-sim's own machinery costs:
 *
 * - POST /pqd/v1/bpqd: gunzip (on the event loop below 64 KiB, on the thread pool above — as idx-sim),
 *   `JSON.parse`, the same ajv BPQD schema from openapi/pqd.yaml (compiled by the same Contract loader,
 *   first-error mode), one RSA-SHA256 check of the detached CMS signature (parse, signed attributes,
 *   messageDigest — as src/security/message-signature.ts, against the sender's primary certificate),
 *   one row in WAL, group-committed per event-loop turn and answered only after the COMMIT.
 * - GET /pqd/v1/bpqd: a keyset page by one index (recipient, seq); totalRecords from a count kept in memory.
 * - GET /pqd/v1/bpqd/:id: the stored gzip bytes by the context-id index.
 * - DELETE /pqd/v1/bpqd/:id: one row deleted, in the group commit.
 * - GET /events/v1 (WebSocket): MESSAGE_AVAILABLE to the recipient's sockets once the row is committed.
 *
 * It checks no bearer token, quota, routing rule, flow control or transaction log, and keeps no journal:
 * those are idx-sim's. A child of bench/suite.ts (IPC protocol in bench/lib/common.ts); 127.0.0.1 only.
 */
import { verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import websocket from '@fastify/websocket';
import Database from 'better-sqlite3';
import fastify from 'fastify';
import type { WebSocket } from 'ws';
import { loadContract } from '../../src/contract/openapi.js';
import { PROJECT_ROOT } from '../../src/context.js';
import { pkiPaths } from '../../src/pki/dev-ca.js';
import { parseSignedData, sha256 } from '../../src/security/cms.js';
import { filledContextId, serveParent, submission, type ChildCommand } from '../lib/common.js';

const gunzipAsync = promisify(gunzip);
const SYNC_GUNZIP_MAX_BYTES = 64 * 1024;
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

interface Row { seq: number; contextId: string; senderId: string; receivedAt: number; sizeBytes: number }

export async function startBaseline(dir: string) {
  const certsDir = join(dir, 'certs');
  const p = pkiPaths(certsDir);
  const contract = await loadContract(join(PROJECT_ROOT, 'openapi'));
  const validate = contract.firstErrorValidator('pqd.yaml', '#/components/schemas/BpqdPayload');
  const publicKeys = new Map<string, X509Certificate>();
  const keyOf = (participantId: string) => {
    let c = publicKeys.get(participantId);
    if (!c) publicKeys.set(participantId, (c = new X509Certificate(readFileSync(p.participantCert(participantId, 'primary')))));
    return c.publicKey;
  };

  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.exec(`CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY, context_id TEXT NOT NULL UNIQUE, sender_id TEXT NOT NULL, recipient_id TEXT NOT NULL,
    received_at INTEGER NOT NULL, size_bytes INTEGER NOT NULL, signature TEXT, payload_gzip BLOB NOT NULL);
  CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages (recipient_id, seq);`);
  const insert = db.prepare('INSERT INTO messages (context_id, sender_id, recipient_id, received_at, size_bytes, signature, payload_gzip) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const page = db.prepare<[string, number, number], Row>(`SELECT seq, context_id AS contextId, sender_id AS senderId, received_at AS receivedAt, size_bytes AS sizeBytes
    FROM messages WHERE recipient_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
  const one = db.prepare<[string, string], { payload: Buffer; senderId: string; signature: string | null }>(
    'SELECT payload_gzip AS payload, sender_id AS senderId, signature FROM messages WHERE context_id = ? AND recipient_id = ?');
  const remove = db.prepare('DELETE FROM messages WHERE context_id = ? AND recipient_id = ?');
  const queued = new Map<string, number>();
  for (const r of db.prepare<[], { recipientId: string; n: number }>('SELECT recipient_id AS recipientId, count(*) AS n FROM messages GROUP BY recipient_id').all()) queued.set(r.recipientId, r.n);
  const bump = (recipient: string, by: number) => queued.set(recipient, (queued.get(recipient) ?? 0) + by);

  // Group commit: the writes of one event-loop turn share a transaction; nobody is answered before COMMIT.
  let batch: Array<() => void> | undefined;
  const write = <T>(fn: () => T): Promise<T> => {
    if (!batch) {
      db.exec('BEGIN IMMEDIATE');
      batch = [];
      setImmediate(() => {
        const done = batch!;
        batch = undefined;
        db.exec('COMMIT');
        for (const f of done) f();
      });
    }
    const result = fn();
    const b = batch;
    return new Promise<T>((resolve) => b.push(() => resolve(result)));
  };

  const subscribers = new Map<string, Set<WebSocket>>();
  const app = fastify({
    https: { key: readFileSync(p.serverKey), cert: readFileSync(p.serverCert), ca: readFileSync(p.caCert), requestCert: true, rejectUnauthorized: true },
    logger: false,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PAYLOAD_BYTES + 64 * 1024 }, (_req, body, done) => done(null, body));
  await app.register(websocket);

  const refuse = (reply: { code(n: number): { send(b: unknown): unknown } }, status: number, detail: string) =>
    reply.code(status).send({ status, detail });

  app.post('/pqd/v1/bpqd', async (request, reply) => {
    const contextId = String(request.headers['x-messagecontextid'] ?? '');
    const senderId = String(request.headers['x-initiatingparticipantid'] ?? '');
    const header = String(request.headers['x-signature'] ?? '');
    const body = request.body as Buffer;
    let json: Buffer;
    try {
      const options = { maxOutputLength: MAX_PAYLOAD_BYTES };
      json = body.length <= SYNC_GUNZIP_MAX_BYTES ? gunzipSync(body, options) : await gunzipAsync(body, options);
    } catch {
      return refuse(reply, 400, 'not gzip');
    }
    // One RSA-SHA256 check of the detached CMS SignedData over the JSON bytes.
    const separator = header.indexOf(';');
    if (separator < 0) return refuse(reply, 400, 'no signature');
    const signer = parseSignedData(Buffer.from(header.slice(separator + 1), 'base64')).signers[0];
    const attributes = signer?.signedAttributes;
    if (!signer || !attributes?.messageDigest || !verify('sha256', attributes.signedBytes, keyOf(senderId), signer.signature)
      || !attributes.messageDigest.equals(sha256(json))) return refuse(reply, 400, 'bad signature');
    let payload: { data: { header: { receivingParticipantId: string[] } } };
    try {
      payload = JSON.parse(json.toString('utf8'));
    } catch {
      return refuse(reply, 400, 'not JSON');
    }
    if (!validate(payload)) return refuse(reply, 400, 'schema');
    const recipient = payload.data.header.receivingParticipantId[0]!;
    const receivedAt = Date.now();
    try {
      await write(() => insert.run(contextId, senderId, recipient, receivedAt, json.length, header, body));
    } catch {
      return refuse(reply, 409, 'duplicate');
    }
    bump(recipient, 1);
    const event = JSON.stringify({ eventType: 'MESSAGE_AVAILABLE', messageContextId: contextId, initiatingParticipantId: senderId, receivingParticipantId: recipient });
    for (const socket of subscribers.get(recipient) ?? []) socket.send(event);
    return { data: { messageContextId: contextId, messageId: `MSG-${receivedAt}`, receivedDateTime: new Date(receivedAt).toISOString(), status: 'delivery_pending', receivingParticipantIds: [recipient] } };
  });

  app.get('/pqd/v1/bpqd', async (request) => {
    const recipient = String(request.headers['x-initiatingparticipantid'] ?? '');
    const q = request.query as { itemCount?: string; cursor?: string };
    const itemCount = Math.min(500, Number(q.itemCount ?? 100));
    const rows = page.all(recipient, Number(q.cursor ?? 0), itemCount + 1);
    const total = queued.get(recipient) ?? 0;
    return {
      data: rows.slice(0, itemCount).map((r) => ({ messageContextId: r.contextId, initiatingParticipantId: r.senderId, receivedDateTime: new Date(r.receivedAt).toISOString(), sizeBytes: r.sizeBytes })),
      meta: { itemCount: Math.min(itemCount, rows.length), nextCursor: rows.length > itemCount ? String(rows[itemCount - 1]!.seq) : null, totalRecords: total, totalPages: Math.ceil(total / itemCount) },
    };
  });

  app.get('/pqd/v1/bpqd/:id', async (request, reply) => {
    const row = one.get((request.params as { id: string }).id, String(request.headers['x-initiatingparticipantid'] ?? ''));
    if (!row) return refuse(reply, 404, 'not in your queue');
    return reply.headers({ 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-initiatingparticipantid': row.senderId, ...(row.signature ? { 'x-signature': row.signature } : {}) })
      .send(row.payload);
  });

  app.delete('/pqd/v1/bpqd/:id', async (request, reply) => {
    const recipient = String(request.headers['x-initiatingparticipantid'] ?? '');
    const changes = await write(() => remove.run((request.params as { id: string }).id, recipient).changes);
    if (changes === 0) return refuse(reply, 404, 'not in your queue');
    bump(recipient, -1);
    return reply.code(204).send();
  });

  app.get('/events/v1', { websocket: true }, (socket, request) => {
    const participantId = String(request.headers['x-initiatingparticipantid'] ?? '');
    let set = subscribers.get(participantId);
    if (!set) subscribers.set(participantId, (set = new Set()));
    set.add(socket);
    socket.on('close', () => set.delete(socket));
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };

  /** Straight into the table, one transaction (as idx-sim's fill). */
  const fill = (recipient: string, prefix: string, count: number, signed: boolean): number => {
    const s = submission(certsDir, { intervals: 1, recipient });
    const now = Date.now();
    db.transaction(() => {
      for (let n = 1; n <= count; n++) insert.run(filledContextId(prefix, n), 'MDPONE', recipient, now, s.json.length, signed ? s.signature : null, s.gzip);
    })();
    bump(recipient, count);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return queued.get(recipient)!;
  };

  const cursorAt = (recipient: string, position: number): string => {
    const row = db.prepare<[string, number], { seq: number }>('SELECT seq FROM messages WHERE recipient_id = ? ORDER BY seq LIMIT 1 OFFSET ?').get(recipient, position);
    if (!row) throw new Error(`${recipient}'s queue has no message at position ${position}`);
    return String(row.seq - 1);
  };

  return {
    url: `https://127.0.0.1:${address.port}`,
    fill,
    cursorAt,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

const dirArg = process.argv.indexOf('--dir');
if (process.send && dirArg > 0) {
  const baseline = await startBaseline(process.argv[dirArg + 1]!);
  serveParent(baseline.url, (c: ChildCommand) => {
    switch (c.cmd) {
      case 'fill': return baseline.fill(c.recipient, c.prefix, c.count, c.signed);
      case 'cursorAt': return baseline.cursorAt(c.recipient, c.position);
      case 'memory': return process.memoryUsage();
      case 'cpu': return process.cpuUsage();
      default: throw new Error(`unknown command ${c.cmd}`);
    }
  }, baseline.close);
}
