/**
 * docs/security.md is evidence only while it is true: every test it cites exists under that name, every
 * status matches the error catalogue, and every security code of the catalogue is listed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/context.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/domain/errors.js';

const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'security.md'), 'utf8');
const QUOTAS_HEADING = '## Quotas and rate limits';
const [securityPart = '', quotasPart = ''] = doc.split(QUOTAS_HEADING);
const rows = securityPart.split('\n').filter((line) => /^\| (?!---|Attack)/.test(line)).map((line) => line.slice(2, -2).split(' | '));
const SECURITY_CODE = /^IDX_ERR_(CLIENT_CERT_|CERT_|TOKEN_|SIGNATURE_|INVALID_CLIENT|UNSUPPORTED_GRANT_TYPE|ENTITY_NOT_GRANTED)/;

/** The string literals of a test file, with `it.each` templates (`%s`) as patterns. */
function titlesIn(file: string): Array<string | RegExp> {
  const source = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  return [...source.matchAll(/'((?:\\.|[^'\\\n])*)'/g)].map((m) => {
    const text = m[1]!.replace(/\\(.)/g, '$1');
    return text.includes('%s') ? new RegExp(`^${text.split('%s').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`) : text;
  });
}

describe('docs/security.md', () => {
  const citations = rows.flatMap((cells) => cells[cells.length - 1]!.split('<br>').map((cite) => cite.trim()));

  it('cites only tests that exist, by file and exact name', () => {
    expect(citations.length).toBeGreaterThan(60);
    const missing = citations.filter((cite) => {
      const match = /^`(test\/[^`]+\.test\.ts)` › (.+)$/.exec(cite);
      if (!match) return true;
      const name = match[2]!;
      return !titlesIn(match[1]!).some((title) => (typeof title === 'string' ? title === name : title.test(name)));
    });
    expect(missing).toEqual([]);
  });

  it('gives each HTTP refusal the status of its code in the catalogue', () => {
    const http = rows.filter((cells) => cells.length === 4);
    expect(http.length).toBeGreaterThan(50);
    for (const [mistake, status, code] of http) {
      const name = code!.replace(/`/g, '') as ErrorCode;
      expect(ERROR_CATALOGUE[name], `${mistake}: ${name}`).toBeDefined();
      expect(Number(status), `${mistake}: ${name}`).toBe(ERROR_CATALOGUE[name].status);
    }
  });

  it('lists every security code of the catalogue', () => {
    const listed = new Set(rows.filter((cells) => cells.length === 4).map((cells) => cells[2]!.replace(/`/g, '')));
    const security = Object.keys(ERROR_CATALOGUE).filter((code) => SECURITY_CODE.test(code));
    expect(security.filter((code) => !listed.has(code))).toEqual([]);
  });

  it('cites, in its quotas section, only tests that exist: `file` › "name", "name", …', () => {
    const cited = [...quotasPart.matchAll(/`(test\/[^`]+\.test\.ts)` › ((?:"[^"]+"(?:, )?)+)/g)]
      .flatMap((m) => [...m[2]!.matchAll(/"([^"]+)"/g)].map((n) => [m[1]!, n[1]!] as const));
    expect(cited.length).toBeGreaterThan(15);
    const missing = cited.filter(([file, name]) => !titlesIn(file).some((title) => (typeof title === 'string' ? title === name : title.test(name))));
    expect(missing).toEqual([]);
  });
});
