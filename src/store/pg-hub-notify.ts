/**
 * What travels on the hub bus's NOTIFY channel (src/store/pg-hub-bus.ts, issue #14), apart from the bus
 * itself, so a short-lived command can tell the running instances without loading the `pg` client.
 */
import { randomUUID } from 'node:crypto';
import type { HubNotice } from '../services/hub-bus.js';
import type { Db } from './database.js';

/** The channel every instance of one hub LISTENs on unless told otherwise. */
export const DEFAULT_CHANNEL = 'idx_sim_hub';

/** One NOTIFY payload: notices from one sender. */
export interface Envelope {
  /** The sending instance (a receiver ignores its own). */
  i: string;
  n: HubNotice[];
}

/**
 * Tells the running instances from a process that has no bus of its own (`idx-sim certs`, which writes the
 * database directly): one NOTIFY on that process's database session, delivered to every listener when the
 * session's transaction commits (at once outside one). Small notices only: one payload.
 */
export function notifyInstances(db: Db, notices: HubNotice[], channel = DEFAULT_CHANNEL): void {
  const envelope: Envelope = { i: `process-${randomUUID()}`, n: notices };
  db.prepare('SELECT pg_notify(?, ?)').get(channel, JSON.stringify(envelope));
}
