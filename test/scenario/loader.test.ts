import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/scenario/format.js';
import { compileScenarioSchema, loadScenarios, parseScenarios, ScenarioLoadError, SCHEMA_PATH } from '../../src/scenario/loader.js';
import { TABLE7_ROWS } from '../../src/scenario/result-model.js';

const problems = (text: string) => {
  try {
    parseScenarios(text, 'scenarios/x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioLoadError);
    return (err as ScenarioLoadError).message;
  }
  throw new Error('expected the document to be refused');
};

const VALID = `id: ok-1
title: a scenario
tags: [api]
trace: { table7: [API-SUBMIT], table6Week: [1] }
steps:
  - as: MDPONE
    submit: { generate: { nmis: ['4102000001'] } }
    expect: { status: 200, json: { $.data.status: delivery_pending } }
    capture: { mcid: $.data.messageContextId }
  - clock: { advance: PT10M }
`;

describe('scenario loader', () => {
  it('loads a valid scenario, and a file holding a list of them', () => {
    const [one] = parseScenarios(VALID, 'a.yaml');
    expect(one!.scenario.id).toBe('ok-1');
    expect(one!.scenario.steps).toHaveLength(2);
    const list = parseScenarios(`- ${VALID.replace(/\n/g, '\n  ').trimEnd()}\n- id: ok-2\n  title: two\n  steps: [{ reset: true }]\n`, 'b.yaml');
    expect(list.map((l) => [l.scenario.id, l.indexInFile])).toEqual([['ok-1', 0], ['ok-2', 1]]);
  });

  it('names file, line, JSON pointer and the unknown field of a typo', () => {
    const text = VALID.replace('    expect: { status: 200', '    expekt: { status: 200');
    expect(problems(text)).toContain('scenarios/x.yaml:6: /steps/0: unknown field "expekt"');
  });

  it('refuses a step with no action, two actions, a participant action without as, and as on a simulator action', () => {
    const msg = problems(`id: s
title: t
steps:
  - name: nothing
  - as: MDPONE
    list: {}
    get: abc
  - list: {}
  - as: MDPONE
    reset: true
`);
    expect(msg).toContain(':4: /steps/0: has no action; add exactly one of token, submit');
    expect(msg).toContain(':5: /steps/1: has 2 actions (list, get); a step has exactly one');
    expect(msg).toContain(':8: /steps/2: "list" acts as a participant: add "as: <participant ID>"');
    expect(msg).toContain(':9: /steps/3/as: "reset" drives the simulator, not a participant: remove "as"');
  });

  it('refuses wrong values with the allowed ones, and a missing required field', () => {
    const msg = problems(`id: s
title: t
priority: urgent
trace: { table7: [API-NOPE] }
steps:
  - as: MDPONE
    submit: { generate: { nmis: [] }, payload: {} }
`);
    expect(msg).toContain(':3: /priority: must be one of "high", "medium", "low"');
    expect(msg).toMatch(/:4: \/trace\/table7\/0: must be one of "API-SUBMIT"/);
    expect(msg).toContain('/steps/0/submit/generate/nmis: must NOT have fewer than 1 items');
    expect(problems('id: s\nsteps: [{ reset: true }]\n')).toContain('x.yaml:1: /: missing required field "title"');
  });

  it('refuses a submit with two payload sources, a bad duration, and a participant-under-test scenario without subject', () => {
    const msg = problems(`id: s
title: t
mode: participant-under-test
steps:
  - as: MDPONE
    submit: { file: a.json, payload: {} }
  - clock: { advance: 10 minutes }
`);
    expect(msg).toContain('/steps/0/submit: give exactly one of payload, generate, file (found payload, file)');
    expect(msg).toContain(':7: /steps/1/clock/advance: "10 minutes" is not valid: ISO 8601 duration, e.g. PT10M, PT1H30M, P1D.');
    expect(msg).toContain('/mode: a participant-under-test scenario names its subject');
  });

  it('checks per-scenario hub settings by name and value, and certificate only on participant steps', () => {
    const msg = problems(`id: s
title: t
settings: { fcPqdHigh: 5, fcPqdHigth: 5, port: 9000, tokenLifetimeSeconds: forever }
steps:
  - clock: { advance: PT1M }
    certificate: secondary
`);
    expect(msg).toContain(':3: /settings/fcPqdHigth: unknown setting "fcPqdHigth"');
    expect(msg).toContain(':3: /settings/port: "port" is chosen by the runner, not per scenario');
    expect(msg).toMatch(/:3: \/settings\/tokenLifetimeSeconds: "forever" is not a valid IDX_SIM_TOKEN_LIFETIME: /);
    expect(msg).not.toContain('/settings/fcPqdHigh:');
    expect(msg).toContain(':6: /steps/0/certificate: "clock" drives the simulator: "certificate" applies to participant steps only');
  });

  it('reports YAML syntax errors with their line, and empty files', () => {
    expect(problems('id: s\ntitle: [unclosed\nsteps: []\n')).toMatch(/^scenarios\/x\.yaml:\d+: \/: YAML: /);
    expect(problems('')).toContain('the file is empty');
    expect(problems('id: a\nid: b\ntitle: t\nsteps: [{reset: true}]\n')).toMatch(/YAML: Map keys must be unique/);
  });

  describe('files and directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-sim-loader-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads *.yaml and *.yml recursively in name order, and refuses duplicate ids across files', () => {
      mkdirSync(join(dir, 'pack', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'pack', 'b.yaml'), VALID.replace('ok-1', 'b'));
      writeFileSync(join(dir, 'pack', 'a.yml'), VALID.replace('ok-1', 'a'));
      writeFileSync(join(dir, 'pack', 'sub', 'c.yaml'), VALID.replace('ok-1', 'c'));
      writeFileSync(join(dir, 'pack', 'notes.txt'), 'not a scenario');
      expect(loadScenarios(['pack'], dir).map((l) => [l.scenario.id, l.file])).toEqual([['a', 'pack/a.yml'], ['b', 'pack/b.yaml'], ['c', 'pack/sub/c.yaml']]);
      writeFileSync(join(dir, 'pack', 'sub', 'd.yaml'), VALID.replace('ok-1', 'a'));
      expect(() => loadScenarios(['pack'], dir)).toThrow('pack/sub/d.yaml: /id: scenario id "a" is also used in pack/a.yml');
      expect(() => loadScenarios(['missing'], dir)).toThrow('missing: /: no such file or directory');
    });
  });

  it('compiles the JSON Schema strictly: a misspelt keyword, a bad type or a required name without its property fails the load', () => {
    const text = readFileSync(SCHEMA_PATH, 'utf8');
    expect(() => compileScenarioSchema(JSON.parse(text))).not.toThrow();
    const broken = (from: string, to: string) => {
      expect(text.split(from).length, `the schema contains ${from} once`).toBe(2);
      return () => compileScenarioSchema(JSON.parse(text.replace(from, to)));
    };
    expect(broken('"additionalProperties": false,\n      "required": [\n        "id",', '"additionalPropertys": false,\n      "required": [\n        "id",'))
      .toThrow(/strict mode: unknown keyword: "additionalPropertys"/);
    expect(broken('"description": "The counterparty to change: the id its start step was given."', '"type": "strng"'))
      .toThrow(/type must be JSON type|schema is invalid/);
    expect(broken('"kind": {\n                  "type": "string",\n                  "description": "The fault kind', '"knid": {\n                  "type": "string",\n                  "description": "The fault kind'))
      .toThrow(/strict mode: required property "kind" is not defined/);
  });

  it('the JSON Schema and the TypeScript format agree on actions and Table 7 rows', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
    const stepProps = Object.keys(schema.definitions.step.properties);
    expect(stepProps.filter((p) => !['name', 'as', 'certificate', 'expect', 'capture'].includes(p)).sort()).toEqual([...ACTIONS].sort());
    expect(schema.definitions.scenario.properties.trace.properties.table7.items.enum.sort()).toEqual(Object.keys(TABLE7_ROWS).sort());
  });
});
