/**
 * The cases of `npm run bench` (bench/suite.ts), in the order they run. Add a case: a file in this
 * directory exporting a `Case` (bench/lib/suite-types.ts), and one line here.
 */
import type { Case } from '../lib/suite-types.js';
import { backendsCase } from './backends.js';
import { drainCase } from './drain.js';
import { eventsCase } from './events.js';
import { listCase } from './list.js';
import { memoryCase } from './memory.js';
import { isolation10mbCase, submit10mbCase, submitDayCase, submitSmallCase } from './submit.js';

export const CASES: readonly Case[] = [
  // LNSP side (perf-read)
  listCase,
  drainCase,
  eventsCase,
  // submitting side (perf-write)
  submitSmallCase,
  submitDayCase,
  submit10mbCase,
  isolation10mbCase,
  memoryCase,
  // storage backends (pg-ops, issue #14): opt-in, needs PostgreSQL's server binaries
  backendsCase,
];
