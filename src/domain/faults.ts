/**
 * Fault injection (issue #10): rules that make the hub misbehave the way a real one will — slow answers,
 * 5xx, dropped connections, closed or silent event sockets, a forced flow-control stop, and on the
 * receiving side a corrupted signature or a truncated gzip body — so a participant's system proves it
 * copes. Pure: which rule applies to a request, by API, operation, participant and simulated-time window.
 */
export const FAULT_KINDS = ['latency', 'error', 'reset', 'ws-close', 'ws-silence', 'fc-stop', 'bad-signature', 'truncated-gzip'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults applied to an HTTP request before the handler runs. */
export const REQUEST_FAULTS: readonly FaultKind[] = ['latency', 'reset', 'error'];
/** Faults applied to a response body on its way out (the receiving side). */
export const RESPONSE_FAULTS: readonly FaultKind[] = ['bad-signature', 'truncated-gzip'];

export interface FaultRule {
  id: number;
  kind: FaultKind;
  /** The API by its first path segment (`pqd`, `fctrl`, `events`, `oauth`, …); null = every API. */
  api: string | null;
  operationId: string | null;
  participantId: string | null;
  /** Simulated-clock window [fromAt, toAt); null = open. */
  fromAt: number | null;
  toAt: number | null;
  /** Share of matching requests the rule hits, 0..1. */
  share: number;
  status: number | null;
  latencyMs: number | null;
  latencyMaxMs: number | null;
  description: string | null;
  enabled: boolean;
  hits: number;
  createdAt: number;
}

export interface FaultTarget {
  api: string;
  operationId?: string;
  participantId?: string;
}

export function inWindow(rule: Pick<FaultRule, 'fromAt' | 'toAt'>, now: number): boolean {
  return (rule.fromAt === null || now >= rule.fromAt) && (rule.toAt === null || now < rule.toAt);
}

export function isActive(rule: FaultRule, now: number): boolean {
  return rule.enabled && inWindow(rule, now);
}

/** Whether a rule's filters select a request (the share is rolled separately). */
export function selects(rule: FaultRule, target: FaultTarget, now: number): boolean {
  return isActive(rule, now)
    && (rule.api === null || rule.api === target.api)
    && (rule.operationId === null || rule.operationId === target.operationId)
    && (rule.participantId === null || rule.participantId === target.participantId);
}

/** The added delay: fixed, or uniform in [latencyMs, latencyMaxMs] from the seeded random source. */
export function latencyOf(rule: Pick<FaultRule, 'latencyMs' | 'latencyMaxMs'>, random: () => number): number {
  const min = rule.latencyMs ?? 0;
  const max = rule.latencyMaxMs ?? min;
  return Math.round(min + (max - min) * random());
}

/** The error code of an injected status. */
export const INJECTED_CODES = {
  500: 'IDX_ERR_INJECTED_INTERNAL',
  502: 'IDX_ERR_INJECTED_BAD_GATEWAY',
  503: 'IDX_ERR_INJECTED_UNAVAILABLE',
  504: 'IDX_ERR_INJECTED_TIMEOUT',
} as const;

/** The API of a path: its first segment (`/pqd/v1/bpqd` → `pqd`). */
export function apiOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/** A signature value with its base64 changed in the middle: still well-formed, no longer valid. */
export function corruptSignature(value: string): string {
  const cut = value.indexOf(';') + 1;
  const body = value.slice(cut);
  const mid = Math.floor(body.length / 2);
  const flipped = body[mid] === 'A' ? 'B' : 'A';
  return value.slice(0, cut) + body.slice(0, mid) + flipped + body.slice(mid + 1);
}
