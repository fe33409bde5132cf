/**
 * How many times the hub has started on a data directory, kept in `<dataDir>/boot-count`. Mixed into
 * IDX_SIM_SEED (src/domain/random.ts `seedForBoot`) so that a restart with the same seed on the same data
 * does not replay the identifiers of the previous run (issue 7, defect 10).
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from './files.js';

export const bootCountPath = (dataDir: string) => join(dataDir, 'boot-count');

/** Counts this start and returns its number: 1 on a fresh data directory. */
export function countBoot(dataDir: string): number {
  const path = bootCountPath(dataDir);
  const previous = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : 0;
  // A damaged counter must not bring back an earlier run's sequence: continue from a number no run reached.
  const boot = Number.isSafeInteger(previous) && previous >= 0 ? previous + 1 : randomInt(1_000_000, 2 ** 40);
  writeFileAtomically(path, `${boot}\n`);
  return boot;
}
