/**
 * Runs Redocly's linter (@redocly/openapi-core, the engine of `redocly lint`) with the checked-in ruleset
 * (redocly.yaml) on every document of a directory: openapi/, or a mutated copy of it in a test.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { lint, loadConfig } from '@redocly/openapi-core';
import { PROJECT_ROOT } from '../../src/context.js';

export interface LintProblem {
  file: string;
  severity: string;
  rule: string;
  message: string;
  pointer: string;
}

export async function lintDocuments(dir: string): Promise<LintProblem[]> {
  const config = await loadConfig({ configPath: join(PROJECT_ROOT, 'redocly.yaml') });
  // The `apis` of redocly.yaml as written (alias → root). Not `config.resolvedConfig.apis`: its type makes tsc
  // instantiate Redocly's huge configuration types, ~300,000 instantiations, a fifth of a cold type check.
  const written = config.document?.parsed as { apis?: Record<string, { root: string }> } | undefined;
  const apis = Object.entries(written?.apis ?? {});
  const problems: LintProblem[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    // A document's own accepted warnings are under `apis` in redocly.yaml, keyed by the file it lints.
    const alias = apis.find(([, api]) => basename(api.root) === file)?.[0];
    for (const p of await lint({ ref: join(dir, file), config: config.forAlias(alias) })) {
      problems.push({ file, severity: p.severity, rule: p.ruleId, message: p.message, pointer: p.location[0]?.pointer ?? '' });
    }
  }
  return problems;
}

/** `file pointer: message (rule)` lines, for failure messages. */
export const describeProblems = (problems: LintProblem[]): string[] => problems.map((p) => `${p.file} ${p.pointer}: ${p.message} (${p.rule})`);
