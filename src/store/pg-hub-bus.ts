/**
 * The hub bus over PostgreSQL LISTEN/NOTIFY (issue #14; contract in src/services/hub-bus.ts). Each
 * process holds one dedicated, ordinary asynchronous `pg` connection: it LISTENs on one channel and sends
 * this instance's notices with pg_notify. Notices published in one event-loop turn go out together after
 * it (by then the data they are about has been committed: the database port commits synchronously),
 * packed into payloads under PostgreSQL's 8000-byte limit. When the connection drops, the bus reconnects
 * on its own (backing off up to 5 s), keeps what it could not send (bounded), and tells this instance to
 * re-read what it caches (`resync`), since notices sent meanwhile are lost to it.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { NoticeListeners, type HubBus, type HubNotice, type HubNoticeListener } from '../services/hub-bus.js';
import { DEFAULT_CHANNEL, type Envelope } from './pg-hub-notify.js';

/** NOTIFY's payload must be shorter than 8000 bytes (PostgreSQL docs, NOTIFY); room left for the envelope. */
export const MAX_PAYLOAD_BYTES = 7800;
/** Notices kept while disconnected; beyond this the oldest are dropped (the others resync when it is back). */
const MAX_OUTBOX = 10_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export interface PgHubBusOptions {
  /** postgres://… — the same database the instances store their data in. */
  url: string;
  /** NOTIFY channel; every instance of one hub uses the same. */
  channel?: string;
  /** Where the bus reports lost connections, dropped notices and failing listeners. */
  log?: (level: 'warn' | 'info', message: string, detail?: Record<string, unknown>) => void;
  instanceId?: string;
}


export class PgHubBus implements HubBus {
  readonly shared = true;
  readonly instanceId: string;
  private readonly channel: string;
  private readonly listeners = new NoticeListeners();
  private readonly log: NonNullable<PgHubBusOptions['log']>;
  private client: pg.Client | undefined;
  private outbox: string[] = [];
  private flushing: Promise<void> | undefined;
  private flushScheduled = false;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Notices dropped since start (too large, or the outbox overflowed while disconnected). */
  dropped = 0;

  private constructor(private readonly options: PgHubBusOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.channel = options.channel ?? DEFAULT_CHANNEL;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new Error(`hub bus channel ${JSON.stringify(this.channel)} must be a lower-case SQL identifier`);
    this.log = options.log ?? (() => {});
  }

  /** Connects and LISTENs; resolves once notices from other instances can arrive. */
  static async connect(options: PgHubBusOptions): Promise<PgHubBus> {
    const bus = new PgHubBus(options);
    await bus.open();
    return bus;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  publish(notice: HubNotice): void {
    if (this.closed) return;
    const text = JSON.stringify(notice);
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES - 100) {
      this.dropped++;
      this.log('warn', 'hub bus notice too large for NOTIFY: not sent', { kind: notice.kind, bytes: Buffer.byteLength(text) });
      return;
    }
    this.outbox.push(text);
    if (this.outbox.length > MAX_OUTBOX) {
      this.dropped += this.outbox.length - MAX_OUTBOX;
      this.outbox.splice(0, this.outbox.length - MAX_OUTBOX);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
  }

  subscribe(listener: HubNoticeListener): () => void {
    return this.listeners.add(listener);
  }

  /** Sends what is waiting; resolves when it has gone (or the connection is away: it stays for the next one). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.client || this.outbox.length === 0) return;
    const client = this.client;
    this.flushing = (async () => {
      while (this.outbox.length > 0 && this.client === client) {
        const { payload, count } = this.pack();
        try {
          await client.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
          this.outbox.splice(0, count);
        } catch (err) {
          // The connection's error handler reconnects; what was not sent goes out on the next connection.
          this.log('warn', 'hub bus could not send notices; they wait for the connection to come back', { error: (err as Error).message });
          return;
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => {});
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  /** The longest run of waiting notices that fits one payload. */
  private pack(): { payload: string; count: number } {
    const head = `{"i":${JSON.stringify(this.instanceId)},"n":[`;
    let bytes = Buffer.byteLength(head) + 2;
    let count = 0;
    for (const text of this.outbox) {
      const size = Buffer.byteLength(text) + 1;
      if (count > 0 && bytes + size > MAX_PAYLOAD_BYTES) break;
      bytes += size;
      count++;
    }
    return { payload: `${head}${this.outbox.slice(0, count).join(',')}]}`, count };
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: `idx-sim hub bus ${this.instanceId.slice(0, 8)}` });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload) this.receive(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw err;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private receive(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      this.log('warn', 'hub bus ignored a notification that is not one of ours', { bytes: payload.length });
      return;
    }
    if (envelope.i === this.instanceId || !Array.isArray(envelope.n)) return;
    for (const notice of envelope.n) this.deliver(notice);
  }

  private deliver(notice: HubNotice): void {
    this.listeners.deliver(notice, (err) => this.log('warn', 'hub bus listener failed', { kind: notice.kind, error: (err as Error)?.stack ?? String(err) }));
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => {}); // a late error of a connection already given up must not crash the process
    void client.end().catch(() => {});
    if (this.closed) return;
    this.log('warn', 'hub bus lost its database connection; reconnecting', { error: err?.message });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open().then(() => {
        if (this.closed) return;
        this.log('info', 'hub bus reconnected');
        // Whatever the others said meanwhile is lost: re-read what this instance keeps in memory.
        this.deliver({ kind: 'resync' });
        void this.flush();
      }, (e: Error) => {
        this.log('warn', 'hub bus could not reconnect yet', { error: e.message, retryInMs: this.reconnectDelay });
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }
}
