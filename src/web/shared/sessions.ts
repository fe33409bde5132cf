/**
 * Server-side browser sessions for the web pages (IDX Web App portal sessions, simulator console
 * sessions). The id is a 64-hex-character secret — AEMO's Markets Portal session id, `x-ss-id`, is a
 * cookie value of that shape (spec §3) — and expires on the simulated clock after a period without use.
 * Ids and CSRF tokens come from node:crypto: they are credentials, so never from the seedable source.
 */
import { randomBytes } from 'node:crypto';
import { sameSecret } from '../../security/same-secret.js';

export interface WebSession<T> {
  /** 64 lower-case hex characters. */
  readonly id: string;
  /** The per-session token every state-changing request must carry (form field `_csrf` or header `x-csrf-token`). */
  readonly csrfToken: string;
  readonly data: T;
  /** Simulated-clock epoch ms. */
  readonly createdAt: number;
  expiresAt: number;
}

export const SESSION_ID_PATTERN = /^[0-9a-f]{64}$/;

/** An in-memory session table, bounded: beyond `maxSessions` the least recently used session is dropped. */
export class WebSessions<T> {
  private readonly sessions = new Map<string, WebSession<T>>();

  constructor(private readonly idleMs: () => number, private readonly maxSessions = 1000) {}

  create(data: T, now: number): WebSession<T> {
    this.sweep(now);
    const session: WebSession<T> = { id: randomBytes(32).toString('hex'), csrfToken: randomBytes(32).toString('hex'), data, createdAt: now, expiresAt: now + this.idleMs() };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  /** The live session of an id, its expiry moved on (sliding); undefined when unknown or expired (then forgotten). */
  touch(id: string | undefined, now: number): WebSession<T> | undefined {
    if (id === undefined || !SESSION_ID_PATTERN.test(id)) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= now) {
      this.sessions.delete(id);
      return undefined;
    }
    session.expiresAt = now + this.idleMs();
    // Map order is insertion order: re-inserting keeps the least recently used first.
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  /** Ends a session (sign out). */
  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Sessions matching a predicate (live ones only). */
  live(now: number, which: (s: WebSession<T>) => boolean = () => true): Array<WebSession<T>> {
    return [...this.sessions.values()].filter((s) => s.expiresAt > now && which(s));
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: { csrfToken: string }, presented: unknown): boolean {
  return typeof presented === 'string' && sameSecret(presented, session.csrfToken);
}
