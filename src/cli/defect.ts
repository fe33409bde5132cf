/**
 * `idx-sim defect capture <traceId>` and `idx-sim defect export --csv` (issue #11): a defect record with
 * the industry test plan's fields (seed 000 §4.7.1) from what the hub knows about one trace id, appended
 * to a defects file; and the defect log as RFC 4180 CSV for a Jira import or the daily Q&A pack.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { IdxClient, readPem } from '../client/idx-client.js';
import { pkiPaths } from '../pki/dev-ca.js';
import { defectsToCsv } from '../scenario/defects.js';
import { CaptureError, captureDefect, type HubEvidenceSource } from '../scenario/defect-capture.js';
import type { DefectRecord } from '../scenario/result-model.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, controlOptions, UsageError, withControl } from './control-client.js';

type Writer = (text: string) => void;

export const DEFECT_USAGE = `usage: idx-sim defect capture <traceId> [--out defects.json] [--title T] [--description D] [--scenario ID]
                                    [--severity critical|high|medium|low] [--priority P1|P2|P3|P4] [--detected-by NAME]
       idx-sim defect export --csv [FILE] [--in defects.json|results.json]

capture   reads the hub's request journal for the trace id (GET /sim/v1/journal), the settings and the
          simulated clock (control API), and the transaction-log rows of that exchange as its participant
          (dev certificates in --certs-dir), and appends a defect record to --out (default defects.json)
export    writes the defects of a defects file or of a run's results.json as CSV (to FILE, or stdout)

${CONNECTION_HELP}`;

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;

/** The defects of a defects file (an array) or of a run's results.json (its `defects`). */
export function readDefects(path: string): DefectRecord[] {
  if (!existsSync(path)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(parsed)) return parsed as DefectRecord[];
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { defects?: unknown }).defects)) return (parsed as { defects: DefectRecord[] }).defects;
  throw new UsageError(`${path} holds neither a list of defects nor a run result with "defects"`);
}

/** The hub over HTTPS: the control API with the admin key, the transaction log as the participant (dev certificates). */
function httpsSource(control: { call(method: string, path: string): Promise<{ json<T>(): T }> }, values: { url?: string; 'certs-dir'?: string; ca?: string }): HubEvidenceSource {
  return {
    control: async (path) => (await control.call('GET', path)).json(),
    async translog(participantId, query) {
      const certsDir = loadConfig({ certsDir: values['certs-dir'] }).certsDir;
      const paths = pkiPaths(certsDir);
      const options = controlOptions(values);
      const client = new IdxClient({
        url: options.url, participantId,
        cert: readPem(paths.participantCert(participantId, 'primary'), `${participantId}'s client certificate`),
        key: readPem(paths.participantKey(participantId, 'primary'), `${participantId}'s private key`),
        ...(options.ca ? { ca: options.ca } : {}),
        clientId: `${participantId.toLowerCase()}-api`, clientSecret: `${participantId.toLowerCase()}-secret`,
      });
      try {
        await client.token('TRANSLOG_TRANSLOG');
        const reply = await client.call('GET', `/translog/v1/messages?${new URLSearchParams(query)}`);
        if (reply.status !== 200) throw new Error(`GET /translog/v1/messages answered ${reply.status}`);
        return (reply.json() as { data: Array<Record<string, unknown>> }).data;
      } finally {
        await client.close();
      }
    },
  };
}

async function capture(args: string[], out: Writer, err: Writer): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      ...CONNECTION_FLAGS, out: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, scenario: { type: 'string' },
      severity: { type: 'string' }, priority: { type: 'string' }, 'detected-by': { type: 'string' },
    },
  });
  if (values.help) { out(DEFECT_USAGE); return 0; }
  const [traceId, ...extra] = positionals;
  if (!traceId || extra.length) throw new UsageError(`capture takes one trace id\n\n${DEFECT_USAGE}`);
  if (!/^[A-Za-z0-9._~-]{1,64}$/.test(traceId)) throw new UsageError(`"${traceId}" is not a trace id (1-64 of A-Z a-z 0-9 . _ ~ -)`);
  const severity = values.severity as DefectRecord['severity'] | undefined;
  if (severity !== undefined && !SEVERITIES.includes(severity)) throw new UsageError(`--severity must be one of ${SEVERITIES.join(', ')}`);
  const priority = values.priority as DefectRecord['priority'] | undefined;
  if (priority !== undefined && !PRIORITIES.includes(priority)) throw new UsageError(`--priority must be one of ${PRIORITIES.join(', ')}`);
  const file = values.out ?? 'defects.json';
  const existing = readDefects(file);
  if (existing.some((d) => d.id === `DEF-${traceId}`)) {
    err(`idx-sim defect: DEF-${traceId} is already in ${file}\n`);
    return 1;
  }
  return withControl(values, err, async (client) => {
    let defect: DefectRecord;
    try {
      defect = await captureDefect(traceId, httpsSource(client, values), {
        detectedBy: values['detected-by'] ?? userInfo().username,
        detectedAt: new Date().toISOString(),
        ...(values.title ? { title: values.title } : {}),
        ...(values.description ? { description: values.description } : {}),
        ...(values.scenario ? { scenarioId: values.scenario } : {}),
        ...(severity ? { severity } : {}),
        ...(priority ? { priority } : {}),
      });
    } catch (e) {
      if (e instanceof CaptureError) { err(`idx-sim defect: ${e.message}\n`); return 1; }
      throw e;
    }
    writeFileSync(file, `${JSON.stringify([...existing, defect], null, 2)}\n`);
    out(values.json ? `${JSON.stringify(defect, null, 2)}\n`
      : `${defect.id} ${defect.severity}/${defect.priority}: ${defect.title}\n  ${defect.evidence.translogRows?.length ?? 0} transaction-log row(s), simulated clock ${defect.evidence.simulatedClock}; appended to ${file} (${existing.length + 1} defect(s))\n`);
    return 0;
  });
}

function exportCsv(args: string[], out: Writer): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { csv: { type: 'boolean' }, in: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { out(DEFECT_USAGE); return 0; }
  if (!values.csv) throw new UsageError(`export needs --csv (the one format it writes)\n\n${DEFECT_USAGE}`);
  if (positionals.length > 1) throw new UsageError(`export takes at most one output file\n\n${DEFECT_USAGE}`);
  const source = values.in ?? 'defects.json';
  if (!existsSync(source)) throw new UsageError(`${source}: no such file (--in defects.json or a run's results.json)`);
  const csv = defectsToCsv(readDefects(source));
  if (positionals[0]) writeFileSync(positionals[0], csv);
  else out(csv);
  return 0;
}

export async function defectCommand(args: string[], out: Writer, err: Writer): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'capture': return await capture(rest, out, err);
      case 'export': return exportCsv(rest, out);
      case undefined: case 'help': case '--help': case '-h': out(DEFECT_USAGE); return 0;
      default: throw new UsageError(`unknown subcommand "${sub}"\n\n${DEFECT_USAGE}`);
    }
  } catch (e) {
    const error = e as Error & { code?: string };
    if (e instanceof UsageError || error.code?.startsWith('ERR_PARSE_ARGS')) { err(`idx-sim defect: ${error.message}\n`); return 2; }
    throw e;
  }
}
