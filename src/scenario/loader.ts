/**
 * Reads scenario files: YAML (one scenario, or a list), checked against schemas/scenario.schema.json and
 * the rules a schema cannot say (exactly one action per step, `as` on participant steps, unique ids).
 * Every problem names the file, the line, the path in the document and what is wrong; the CLI exits 2.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../config.js';
import { ACTIONS, PARTICIPANT_ACTIONS, type LoadedScenario, type Scenario, type Step } from './format.js';

/** The repository root (from src/scenario or dist/src/scenario), without importing the hub's context. */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));
export const SCHEMA_PATH = join(ROOT, 'schemas', 'scenario.schema.json');

export interface LoadProblem {
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** JSON Pointer in the document, e.g. `/steps/2/expect/status`. */
  pointer: string;
  message: string;
}

export class ScenarioLoadError extends Error {
  constructor(readonly problems: LoadProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioLoadError';
  }
}

export function formatProblem(p: LoadProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.pointer || '/'}: ${p.message}`;
}

/**
 * Compiles the scenario schema (schemas/scenario.schema.json, or a copy of it in a test) to validate one
 * scenario. Strict, as the OpenAPI documents are (src/contract/openapi.ts): a misspelt keyword, a type
 * that is not one, or a `required` name with no property to match throws here instead of letting every
 * scenario through unchecked. Union types (`"type": ["string", "number"]`) are allowed: the settings use them.
 */
export function compileScenarioSchema(schema: object): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  ajv.addSchema(schema, 'scenario');
  return ajv.getSchema('scenario#/definitions/scenario')!;
}

let validator: ValidateFunction | undefined;
function scenarioValidator(): ValidateFunction {
  return (validator ??= compileScenarioSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'))));
}

/** The `.yaml`/`.yml` files of the paths given (directories recursively, sorted), each once. */
export function scenarioFiles(paths: string[], cwd = process.cwd()): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        const child = join(path, name);
        if (statSync(child).isDirectory() || /\.ya?ml$/i.test(name)) walk(child);
      }
    } else found.push(path);
  };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    try {
      statSync(abs);
    } catch {
      throw new ScenarioLoadError([{ file: p, pointer: '', message: 'no such file or directory' }]);
    }
    walk(abs);
  }
  return [...new Set(found)];
}

const pointerOf = (segments: Array<string | number>) => segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

function lineOf(doc: Document, lines: LineCounter, segments: Array<string | number>): number | undefined {
  // The deepest node that exists on the path: a missing property is reported where its parent is.
  for (let n = segments.length; n >= 0; n--) {
    const node = doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties': return `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required': return `missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum': return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const': return `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern': {
      const described = (e.parentSchema as { description?: string } | undefined)?.description;
      return `${JSON.stringify(e.data)} ${described ? `is not valid: ${described}` : `must match ${(e.params as { pattern: string }).pattern}`}`;
    }
    default: return e.message ?? e.keyword;
  }
}

/** Keeps the most useful error per location: anyOf branches repeat themselves. */
function usefulErrors(errors: ErrorObject[]): ErrorObject[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const list = byPath.get(e.instancePath) ?? [];
    list.push(e);
    byPath.set(e.instancePath, list);
  }
  const out: ErrorObject[] = [];
  for (const [path, list] of byPath) {
    // An error inside a child explains an anyOf failure better than "must match a schema in anyOf".
    const deeper = [...byPath.keys()].some((p) => p !== path && p.startsWith(`${path}/`));
    const specific = list.filter((e) => e.keyword !== 'anyOf' && !(deeper && e.keyword === 'type'));
    const anyOf = list.find((e) => e.keyword === 'anyOf');
    if (specific.length && !(anyOf && specific.every((e) => e.keyword === 'type'))) out.push(...dedupe(specific));
    else if (anyOf && !deeper) out.push({ ...anyOf, message: `has the wrong shape (${[...new Set(list.filter((e) => e.keyword === 'type').map((e) => (e.params as { type: string }).type))].join(' or ') || 'see the schema'} expected)` });
  }
  return out;
}

const dedupe = (list: ErrorObject[]) => [...new Map(list.map((e) => [`${e.keyword}${describeAjvError(e)}`, e])).values()];

const segmentsOf = (instancePath: string) => instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Settings the runner decides (where the in-process hub listens, keeps its data, which seed and clock). */
const FIXED_SETTINGS = new Set(['host', 'port', 'dataDir', 'certsDir', 'fixturesDir', 'seed', 'clockStart', 'clockFrozen', 'adminKey', 'logLevel', 'serverHosts']);

/** The rules beyond the schema, per step list. */
function stepProblems(scenario: Scenario, base: Array<string | number>): Array<{ segments: Array<string | number>; message: string }> {
  const problems: Array<{ segments: Array<string | number>; message: string }> = [];
  for (const phase of ['setup', 'steps', 'teardown'] as const) {
    const steps: unknown = scenario[phase];
    if (!Array.isArray(steps)) continue;
    steps.forEach((step: Step, i) => {
      if (!step || typeof step !== 'object') return;
      const at = [...base, phase, i];
      const actions = ACTIONS.filter((a) => a in step);
      if (actions.length !== 1) {
        problems.push({ segments: at, message: actions.length ? `has ${actions.length} actions (${actions.join(', ')}); a step has exactly one` : `has no action; add exactly one of ${ACTIONS.join(', ')}` });
        return;
      }
      const action = actions[0]!;
      const isParticipant = (PARTICIPANT_ACTIONS as readonly string[]).includes(action);
      if (isParticipant && !step.as) problems.push({ segments: at, message: `"${action}" acts as a participant: add "as: <participant ID>"` });
      if (!isParticipant && step.as) problems.push({ segments: [...at, 'as'], message: `"${action}" drives the simulator, not a participant: remove "as"` });
      if (!isParticipant && step.certificate) problems.push({ segments: [...at, 'certificate'], message: `"${action}" drives the simulator: "certificate" applies to participant steps only` });
      if (action === 'submit' && step.submit) {
        const sources = (['payload', 'generate', 'file'] as const).filter((k) => step.submit![k] !== undefined);
        if (sources.length !== 1) problems.push({ segments: [...at, 'submit'], message: `give exactly one of payload, generate, file (found ${sources.length ? sources.join(', ') : 'none'})` });
      }
    });
  }
  for (const [key, value] of Object.entries(scenario.settings ?? {})) {
    const at = [...base, 'settings', key];
    const setting = (SETTINGS as Record<string, { env: string; parse(raw: string): unknown }>)[key];
    if (!setting) problems.push({ segments: at, message: `unknown setting "${key}" (the names of \`idx-sim config\`, in camelCase as in src/config.ts, e.g. fcPqdHigh)` });
    else if (FIXED_SETTINGS.has(key)) problems.push({ segments: at, message: `"${key}" is chosen by the runner, not per scenario` });
    else {
      try {
        setting.parse(String(value));
      } catch (err) {
        problems.push({ segments: at, message: `${JSON.stringify(value)} is not a valid ${setting.env}: ${(err as Error).message}` });
      }
    }
  }
  if (scenario.mode === 'participant-under-test' && !scenario.subject) problems.push({ segments: [...base, 'mode'], message: 'a participant-under-test scenario names its subject (subject: {participantId, role})' });
  return problems;
}

/** Parses and checks one file's text; `file` is how messages name it. */
export function parseScenarios(text: string, file: string, absoluteFile = resolve(file)): LoadedScenario[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ScenarioLoadError(doc.errors.map((e) => ({ file, line: lines.linePos(e.pos[0]).line, pointer: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  const value: unknown = doc.toJS();
  const list = Array.isArray(value) ? value : [value];
  const problems: LoadProblem[] = [];
  if (value === null || value === undefined) problems.push({ file, pointer: '', message: 'the file is empty: it holds one scenario (id, title, steps) or a list of them' });
  else if (Array.isArray(value) && value.length === 0) problems.push({ file, pointer: '', message: 'the list of scenarios is empty' });
  const validate = scenarioValidator();
  list.forEach((item, i) => {
    if (item === null || item === undefined) return;
    const base = Array.isArray(value) ? [i] : [];
    if (!validate(item)) {
      for (const e of usefulErrors(validate.errors ?? [])) {
        const segments = [...base, ...segmentsOf(e.instancePath)];
        problems.push({ file, line: lineOf(doc, lines, segments), pointer: pointerOf(segments), message: describeAjvError(e) });
      }
    }
    if (typeof item !== 'object') return;
    for (const p of stepProblems(item as Scenario, base)) problems.push({ file, line: lineOf(doc, lines, p.segments), pointer: pointerOf(p.segments), message: p.message });
  });
  if (problems.length) throw new ScenarioLoadError(problems);
  return list.map((scenario, i) => ({ scenario: scenario as Scenario, file, absoluteFile, ...(Array.isArray(value) ? { indexInFile: i } : {}) }));
}

/** Loads every scenario of the paths; all problems of all files at once. Scenario ids must be unique. */
export function loadScenarios(paths: string[], cwd = process.cwd()): LoadedScenario[] {
  const files = scenarioFiles(paths, cwd);
  const problems: LoadProblem[] = [];
  const loaded: LoadedScenario[] = [];
  for (const abs of files) {
    const file = relative(cwd, abs) || abs;
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      problems.push({ file, pointer: '', message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    try {
      loaded.push(...parseScenarios(text, file, abs));
    } catch (err) {
      if (err instanceof ScenarioLoadError) problems.push(...err.problems);
      else throw err;
    }
  }
  const seen = new Map<string, string>();
  for (const l of loaded) {
    const other = seen.get(l.scenario.id);
    if (other) problems.push({ file: l.file, pointer: l.indexInFile === undefined ? '/id' : `/${l.indexInFile}/id`, message: `scenario id "${l.scenario.id}" is also used in ${other}` });
    else seen.set(l.scenario.id, l.file);
  }
  if (!files.length && !problems.length) problems.push({ file: paths.join(' '), pointer: '', message: 'no scenario files (*.yaml, *.yml) found' });
  if (problems.length) throw new ScenarioLoadError(problems);
  return loaded;
}
