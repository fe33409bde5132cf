/**
 * The `idx-sim` command line.
 *   idx-sim start [--host H] [--port N] [--data-dir D] [--certs-dir D] [--fixtures-dir D] [--seed S] [--log-level L] [--profile aemo|ci]
 *   idx-sim config        print every setting, its environment variable and default
 *   idx-sim sign …        print the x-signature value for a payload
 *   idx-sim certs …       list, issue, rotate and revoke participant certificates
 *   idx-sim generate|token|submit|poll|events|doctor   data generator and participant client (issue #10)
 */
import { parseArgs } from 'node:util';
import { loadConfig, SETTINGS, settingsTable, type Config } from '../config.js';
import { SIM_COMMANDS, SIM_COMMANDS_USAGE, simCommand } from './sim-commands.js';

// Each command loads only its own modules: the server (Fastify, the compiled OpenAPI contract, SQLite) takes
// about a second of CPU to import, which `idx-sim sign`, `certs` or `poll` never need. Scripts and CI jobs run
// the command many times (the README's blocks run it about twenty times).

const USAGE = `usage: idx-sim <command> [options]

commands:
  start    start the simulator (HTTPS + mTLS, SQLite, dev certificates, fixtures)
           --host H  --port N  --data-dir D  --certs-dir D  --fixtures-dir D  --seed S  --log-level L
           --profile aemo|ci  (limits: AEMO's published quotas, or relaxed for CI and benchmarks)
  config   print the configuration settings (environment variables and defaults)
  sign     print the x-signature header value for a payload (idx-sim sign --help)
  certs    list, issue, rotate and revoke participant certificates (idx-sim certs help)

data and participant client (each: --help; --json for scripts; exit 0 ok, 1 refused/failed, 2 usage, 3 unreachable):
  generate realistic BPQD for N NMIs x D days, with invalid variants and a manifest of expected answers
  token    get an access token over mTLS          submit   send BPQD files or folders (gzip, sign, check)
  poll     drain an LNSP queue (list, get, save, delete)   events   print the WebSocket event stream
  doctor   connectivity checks: TLS, certificate, token, payloads, WebSocket, clock skew
  counterparty  start, change and stop virtual senders and LNSPs (idx-sim counterparty help)
  scenario run|validate  play scenario files (YAML), write JUnit and JSON (idx-sim scenario help; docs/scenarios.md)
  defect   capture a defect record from a trace id; export defects as CSV (idx-sim defect help)
  help     this text

${SIM_COMMANDS_USAGE}`;

function parseFlag<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new Error(`--${flag}: ${(err as Error).message}`);
  }
}

async function start(args: string[]): Promise<void> {
  const { banner, startServer } = await import('../server.js');
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' }, 'certs-dir': { type: 'string' },
      'fixtures-dir': { type: 'string' }, seed: { type: 'string' }, 'log-level': { type: 'string' }, profile: { type: 'string' },
    },
  });
  const overrides: Partial<Config> = {
    host: values.host,
    port: values.port === undefined ? undefined : Number(values.port),
    dataDir: values['data-dir'],
    certsDir: values['certs-dir'],
    fixturesDir: values['fixtures-dir'],
    seed: values.seed,
    logLevel: values['log-level'] as Config['logLevel'] | undefined,
    profile: values.profile === undefined ? undefined : parseFlag('profile', () => SETTINGS.profile.parse(values.profile!)),
  };
  const server = await startServer(overrides);
  process.stdout.write(banner(loadConfig(overrides), server.url, process.cwd(), server.generatedAdminKey));
  const stop = async (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

const out = (text: string) => process.stdout.write(text);

/** The data generator and the participant client: usage errors exit 2 (EXIT in ./connection.ts). */
async function participantCommand(command: string, args: string[]): Promise<number> {
  const { EXIT, UsageError } = await import('./connection.js');
  try {
    switch (command) {
      case 'generate': {
        const g = (await import('./generate.js')).generateCommand(args, out);
        return g.send && g.result ? (await import('./submit.js')).submitCommand([...g.rest, ...(g.json ? ['--json'] : []), g.result.dir], out) : g.code;
      }
      case 'token': return await (await import('./token-events.js')).tokenCommand(args, out);
      case 'submit': return await (await import('./submit.js')).submitCommand(args, out);
      case 'poll': return await (await import('./poll.js')).pollCommand(args, out);
      case 'events': return await (await import('./token-events.js')).eventsCommand(args, out);
      case 'counterparty': return await (await import('./counterparty.js')).counterpartyCommand(args, out);
      default: return await (await import('./doctor.js')).doctorCommand(args, out);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`idx-sim ${command}: ${e.message}
(idx-sim ${command} --help)
`);
      return EXIT.USAGE;
    }
    throw err;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      await start(rest);
      return 0;
    case 'config':
      process.stdout.write(`${settingsTable()}\n`);
      return 0;
    case 'sign':
      return (await import('./sign.js')).signCommand(rest, (text) => process.stdout.write(text));
    case 'certs':
      return (await import('./certs.js')).certsCommand(rest, (text) => process.stdout.write(text));
    case 'generate':
    case 'token':
    case 'submit':
    case 'poll':
    case 'events':
    case 'doctor':
    case 'counterparty':
      return participantCommand(command, rest);
    case 'scenario':
      return (await import('./scenario.js')).scenarioCommand(rest, (text) => process.stdout.write(text), (text) => process.stderr.write(text), { tty: process.stdout.isTTY });
    case 'defect':
      return (await import('./defect.js')).defectCommand(rest, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      if (command in SIM_COMMANDS) return simCommand(command, rest, (text) => process.stdout.write(text), (text) => process.stderr.write(text));
      process.stderr.write(`idx-sim: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== 0) process.exit(code); },
  (err: Error) => { process.stderr.write(`idx-sim: ${err.message}\n`); process.exit(1); },
);
