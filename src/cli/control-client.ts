/**
 * The one HTTP client of the simulator control API `/sim/v1` (issue #10), shared by the CLI's simulator
 * commands. Where: --url or IDX_SIM_URL (default https://127.0.0.1:8443); key: --admin-key or
 * IDX_SIM_ADMIN_KEY; trust: --ca FILE, else the dev CA in the certificates directory, or --insecure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Agent } from 'undici';

export interface ControlOptions {
  url: string;
  adminKey: string;
  ca?: Buffer;
  insecure?: boolean;
}

/** Flags every simulator command takes (node:util parseArgs options). */
export const CONNECTION_FLAGS = {
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  ca: { type: 'string' },
  'certs-dir': { type: 'string' },
  insecure: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_HELP = `connection: --url URL (IDX_SIM_URL, default https://127.0.0.1:8443)  --admin-key KEY (IDX_SIM_ADMIN_KEY)
            --ca FILE (default <certs-dir>/ca/ca.crt; --certs-dir D or IDX_SIM_CERTS_DIR)  --insecure  --json  --help
exit codes: 0 done · 1 refused by the simulator (problem printed) · 2 usage error · 3 simulator not reachable`;

/** A usage mistake (exit 2). */
export class UsageError extends Error {}

/** The simulator answered with a problem (exit 1). */
export class ControlError extends Error {
  constructor(readonly status: number, readonly problem: { code?: string; detail?: string; title?: string; errors?: unknown[] } | undefined, text: string) {
    super(problem?.detail ? `${status} ${problem.code ?? ''}: ${problem.detail}` : `${status}: ${text.slice(0, 500)}`);
  }
}

/** The simulator could not be reached (exit 3). */
export class UnreachableError extends Error {}

export function controlOptions(values: { url?: string; 'admin-key'?: string; ca?: string; 'certs-dir'?: string; insecure?: boolean }, env: NodeJS.ProcessEnv = process.env): ControlOptions {
  const url = values.url ?? env.IDX_SIM_URL ?? 'https://127.0.0.1:8443';
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  const caPath = values.ca ?? join(resolve(values['certs-dir'] ?? env.IDX_SIM_CERTS_DIR ?? 'certs'), 'ca', 'ca.crt');
  if (values.ca && !existsSync(values.ca)) throw new UsageError(`--ca ${values.ca}: no such file`);
  return {
    url: url.replace(/\/$/, ''),
    adminKey: values['admin-key'] ?? env.IDX_SIM_ADMIN_KEY ?? 'idx-sim-admin',
    ca: existsSync(caPath) ? readFileSync(caPath) : undefined,
    insecure: values.insecure,
  };
}

export interface ControlResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class ControlClient {
  // undici is loaded with the first call: `idx-sim` loads this module for every command (the simulator
  // commands' names and usage), and undici is ~0.1 s of CPU to load that `sign` or `certs` never need.
  private agent?: Agent;

  constructor(private readonly options: ControlOptions) {}

  /** Calls `/sim/v1<path>`; a problem answer throws ControlError, a connection failure UnreachableError. */
  async call(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<ControlResponse> {
    const undici = await import('undici');
    this.agent ??= new undici.Agent({ connect: { ...(this.options.ca ? { ca: this.options.ca } : {}), rejectUnauthorized: !this.options.insecure } });
    let res;
    try {
      res = await undici.request(`${this.options.url}/sim/v1${path}`, {
        method: method as 'GET',
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${this.options.adminKey}`, accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: Error }).cause;
      throw new UnreachableError(`cannot reach the simulator at ${this.options.url}: ${(cause ?? err as Error).message}` +
        (/certificate|self.signed/i.test(String((cause ?? err as Error).message)) ? ' (pass --ca certs/ca/ca.crt, or --insecure)' : ' (is `idx-sim start` running? --url)'));
    }
    const text = await res.body.text();
    const response: ControlResponse = { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
    if (res.statusCode >= 400) {
      let problem;
      try { problem = JSON.parse(text); } catch { problem = undefined; }
      throw new ControlError(res.statusCode, problem, text);
    }
    return response;
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}

/** Runs a command body with a client and maps failures to exit codes and messages on stderr. */
export async function withControl(
  values: Parameters<typeof controlOptions>[0],
  err: (text: string) => void,
  body: (client: ControlClient) => Promise<number>,
): Promise<number> {
  let client: ControlClient | undefined;
  try {
    client = new ControlClient(controlOptions(values));
    return await body(client);
  } catch (e) {
    if (e instanceof UsageError) { err(`idx-sim: ${e.message}\n`); return 2; }
    if (e instanceof UnreachableError) { err(`idx-sim: ${e.message}\n`); return 3; }
    if (e instanceof ControlError) {
      const items = (e.problem?.errors ?? []) as Array<{ pointer?: string; name?: string; message?: string }>;
      err(`idx-sim: ${e.message}\n${items.map((i) => `  ${i.pointer ?? i.name ?? ''}: ${i.message ?? ''}\n`).join('')}`);
      return 1;
    }
    throw e;
  } finally {
    await client?.close();
  }
}

/** Fixed-width text table for human output. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`;
}
