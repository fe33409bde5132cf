/**
 * The scenario file format (issue #11): what a `scenarios/*.yaml` file holds, as TypeScript types. The JSON
 * Schema `schemas/scenario.schema.json` describes the same shape for editors and the loader; docs/scenarios.md
 * is the reference for people. Values may contain `${variable}` references (src/scenario/variables.ts),
 * substituted when a step runs, so most leaf types also accept a string.
 */
import type { Table6Week, Table7Row } from './result-model.js';

/** ISO 8601 duration such as `PT10M`, `PT1H30M`, `P1D`, `PT0.5S`. */
export type IsoDuration = string;

/** A matcher for one value: a literal (deep equality) or one or more of these checks. */
export type Matcher =
  | string | number | boolean | null
  | {
      equals?: unknown;
      notEquals?: unknown;
      /** Regular expression the value (as text) matches. */
      matches?: string;
      /** The array holds an element equal to this, or the string contains this text. */
      contains?: unknown;
      exists?: boolean;
      gt?: number; gte?: number; lt?: number; lte?: number;
      oneOf?: unknown[];
      /** Length of an array or string. */
      length?: number;
    };

export interface CountExpectation {
  /** JSONPath of an array (default `$.data`), or of several nodes (its number of results is counted). */
  path?: string;
  equals?: number;
  gte?: number;
  lte?: number;
}

export interface Expectations {
  /** HTTP status, or any of a list. Participant and `request` steps default to "2xx" when no status is given. */
  status?: number | number[] | string;
  /** The `code` of the problem+json answer (src/domain/errors.ts). */
  code?: string;
  /** JSONPath (RFC 9535) → matcher, judged on the step's JSON result. */
  json?: Record<string, Matcher>;
  /** Number of items: a number is the length of `$.data`. */
  count?: number | CountExpectation;
  /** Response header (case-insensitive) → matcher. */
  header?: Record<string, Matcher>;
}

/** `generate:` of a submit — the options of src/domain/bpqd-generator.ts, sender = the step's `as`. */
export interface GenerateSpec {
  nmis: Array<string | number>;
  /** Market date `YYYY-MM-DD` (default `${today}`). */
  date?: string;
  /** receivingParticipantId of the header; default: the LNSPs of the NMIs on `date` (standing data, control API). */
  recipients?: string[];
  intervalLength?: number;
  intervalCount?: number;
  priority?: 'h' | 'm' | 'l';
  phases?: Array<'A' | 'B' | 'C'>;
  messageDateTime?: string;
}

export interface SubmitAction {
  /** The JSON payload inline (object or JSON text). */
  payload?: unknown;
  /** Build a payload with the seeded generator. */
  generate?: GenerateSpec;
  /** A JSON payload file, relative to the scenario file. */
  file?: string;
  /** Default: `pqd~bpqd~<priority>~<as>~<uniqueId>`. */
  messageContextId?: string;
  priority?: 'h' | 'm' | 'l';
  /** Sign with the participant's primary certificate (default true). */
  sign?: boolean;
  /** An explicit `x-signature` value instead of signing. */
  signature?: string;
  schemaVersion?: string;
  /** Extra or replacing request headers. */
  headers?: Record<string, string>;
}

export interface ListAction { priority?: string; itemCount?: number | string; cursor?: string; fromDateTime?: string; toDateTime?: string }

export type IdAction = string | { messageContextId: string };

export interface DeleteAction { messageContextId?: string; /** List every page and delete every message. */ all?: boolean; priority?: string }

export interface FlowControlAction {
  /** `true` stops outbound delivery (manual stop), `false` starts it again; absent: read the information. */
  manualStop?: boolean;
  expand?: boolean;
  businessFunctionId?: string;
}

export interface QueryAction { query?: Record<string, string | number | boolean>; messageId?: string; messageContextId?: string; payload?: boolean }

export interface TokenAction { scope?: string; clientId?: string; clientSecret?: string }

export interface SubscribeAction { businessFunctionIds?: string }

export interface ExpectEventAction {
  /** eventType, e.g. MESSAGE_AVAILABLE, FLOW_CONTROL, OUTAGE. */
  type: string;
  /** JSONPath → matcher on the event frame. */
  match?: Record<string, Matcher>;
  /** Simulated deadline from the step's start (default PT0S: already received or arriving while the clock stands). */
  within?: IsoDuration;
  /** Events to wait for (default 1). */
  count?: number;
  /** Real-time cap on the wait (default PT5S). */
  realTimeCap?: IsoDuration;
}

export interface RequestAction {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
  /** JSON (object) or text. */
  body?: unknown;
  /** Send the participant's token and identity headers (default true). */
  auth?: boolean;
}

export interface ClockAction { advance?: IsoDuration; set?: string; freeze?: boolean }

export interface ChurnAction { nmi: string | number; from: string; MDP?: string; MC?: string; LNSP?: string }

export interface CounterpartyAction { start?: Record<string, unknown>; stop?: string; update?: { id: string } & Record<string, unknown>; tick?: boolean }

export interface FaultAction { inject?: Record<string, unknown>; clear?: number | string }

export interface OutageAction {
  /** Absolute instants, or relative to the simulated now with `startsIn`/`lasts`. */
  start?: string;
  end?: string;
  startsIn?: IsoDuration;
  lasts?: IsoDuration;
  description?: string;
  participants?: string[];
  apis?: string[];
}

export interface SnapshotAction { save?: string; restore?: string }

export interface JournalAction { query?: Record<string, string | number | boolean> }

/** Any control-API call (`/sim/v1<path>`, with the admin key): coverage, certificates, fault hits… */
export interface ControlAction { method: string; path: string; query?: Record<string, string | number | boolean>; body?: unknown }

/** What a participant-under-test wait judges (all given must hold). */
export interface WaitCondition {
  /** "<participant>'s queue is empty and every message accepted for it was deleted" (journal). */
  deletedAll?: string;
  /** "<by> submitted market day <date> for NMI <nmi>" (coverage report). */
  submitted?: { by: string; nmi: string | number; date: string };
  /** At least `min` (default 1), at most `max`, journal entries match the query. */
  journal?: { query?: Record<string, string | number | boolean>; min?: number; max?: number };
  /** No accepted message of <participant> (as sender or receiver) was lost: every one accepted for an LNSP is still queued or was deleted. */
  noLoss?: string;
}

export interface WaitForAction {
  condition: WaitCondition;
  /** Simulated deadline from the step's start. */
  within: IsoDuration;
  /** How far the simulated clock moves per tick while waiting (default PT1M; PT0S leaves it alone). */
  tick?: IsoDuration;
  /** Real milliseconds between ticks (default 1000), for the subject to act. */
  tickEveryMs?: number;
  /** Real-time cap (default PT2M). */
  realTimeCap?: IsoDuration;
}

export const PARTICIPANT_ACTIONS = ['token', 'submit', 'list', 'get', 'delete', 'flowControl', 'participantStatus', 'translog', 'archive', 'subscribe', 'expectEvent', 'request'] as const;
export const SIMULATOR_ACTIONS = ['clock', 'churn', 'counterparty', 'fault', 'outage', 'reset', 'snapshot', 'journal', 'control', 'waitFor'] as const;
export const ACTIONS = [...PARTICIPANT_ACTIONS, ...SIMULATOR_ACTIONS] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface Step {
  name?: string;
  /** Participant the step acts as (participant actions). */
  as?: string;
  /** Which of the participant's dev certificates the step presents (default primary), e.g. after a rotation. */
  certificate?: 'primary' | 'secondary';
  token?: TokenAction | null | true;
  submit?: SubmitAction;
  list?: ListAction | null | true;
  get?: IdAction;
  delete?: IdAction | DeleteAction;
  flowControl?: FlowControlAction | null | true;
  participantStatus?: { query?: Record<string, string | number | boolean> } | null | true;
  translog?: QueryAction | null | true;
  archive?: QueryAction | null | true;
  subscribe?: SubscribeAction | null | true;
  expectEvent?: ExpectEventAction;
  request?: RequestAction;
  clock?: ClockAction;
  churn?: ChurnAction;
  counterparty?: CounterpartyAction;
  fault?: FaultAction;
  outage?: OutageAction;
  reset?: boolean | null;
  snapshot?: SnapshotAction;
  journal?: JournalAction | null | true;
  control?: ControlAction;
  waitFor?: WaitForAction;
  expect?: Expectations;
  /** Variable name → JSONPath of the step's JSON result, or `header:<name>`. */
  capture?: Record<string, string>;
}

export interface Scenario {
  id: string;
  title: string;
  description?: string;
  tags?: string[];
  priority?: 'high' | 'medium' | 'low';
  trace?: { table7?: Table7Row[]; table6Week?: Table6Week[]; requirements?: string[] };
  mode?: 'hub' | 'participant-under-test';
  subject?: { participantId: string; role: 'sender' | 'lnsp' };
  /** Start from a reset hub (default true); false continues from the previous scenario's state. */
  fresh?: boolean;
  /** Restore this snapshot at the start instead of resetting. */
  fromSnapshot?: string;
  /**
   * Hub settings for this scenario (keys of SETTINGS in src/config.ts, e.g. `fcPqdHigh: 5`): an in-process run
   * starts a hub with them for this scenario; against --url the scenario is not run (a running hub's settings
   * cannot be changed).
   */
  settings?: Record<string, string | number | boolean>;
  variables?: Record<string, unknown>;
  setup?: Step[];
  steps: Step[];
  teardown?: Step[];
}

/** A scenario as loaded: with where it came from, for messages and reports. */
export interface LoadedScenario {
  scenario: Scenario;
  /** Path relative to the working directory. */
  file: string;
  /** Absolute path, to resolve `file:` references. */
  absoluteFile: string;
  /** Index in the file when the file holds a list. */
  indexInFile?: number;
}

/** The action keyword of a step (the loader checked there is exactly one). */
export function actionOf(step: Step): ActionName {
  const found = ACTIONS.find((a) => a in step);
  if (!found) throw new Error('step without an action');
  return found;
}
