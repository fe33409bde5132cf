/**
 * `npm run bench`: BPQD submission throughput and latency over mTLS, closed loop, loopback only.
 *
 * By default it is self-contained: a simulator is started in this process (startServer, fresh temporary
 * data and certificate directories, port 0 on 127.0.0.1), an MDPONE token is fetched over mTLS, and
 * `--connections` workers each keep one POST /pqd/v1/bpqd in flight on a keep-alive undici Pool for
 * `--warmup` + `--duration` seconds (or until `--max-requests`). Only requests started after the warm-up
 * are measured. Prints a table, then one JSON line. Exit code 0 when every request was accepted (200),
 * 1 when any was not, 2 on a setup failure or the watchdog.
 *
 * `--url https://127.0.0.1:8443 --certs-dir certs` (or `--ca/--cert/--key`) targets a server that is
 * already running instead; the client and certificates are the same. Only loopback addresses are accepted.
 *
 * Note: in the default mode the client and the server share one Node event loop (and this machine's
 * cores), so the numbers are conservative for the server alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Pool } from 'undici';
import { PROJECT_ROOT } from '../src/context.js';
import { generateBpqdPayload } from '../src/domain/bpqd-generator.js';
import { createRandom } from '../src/domain/random.js';
import { pkiPaths } from '../src/pki/dev-ca.js';
import { MessageSigner } from '../src/security/message-signature.js';
import { startServer, type RunningServer } from '../src/server.js';

const USAGE = `usage: npm run bench -- [options]   (or: node dist/bench/bpqd-submit.js [options])
  --duration <s>        measured seconds after the warm-up          (default 10)
  --warmup <s>          warm-up seconds, not measured                (default 2)
  --connections <n>     keep-alive connections = concurrent workers  (default 32)
  --max-requests <n>    hard cap on requests sent, warm-up included  (default 200000)
  --intervals <n>       intervals per meter in the payload           (default 12)
  --unsigned            send no x-signature (the in-process server stops requiring it); default:
                        every submission signed by MDPONE's primary certificate and verified
  --cpu-prof <file>     write a V8 CPU profile of the measured window only (summarise it with
                        node dist/bench/cpuprofile-summary.js <file>)
  --url <https://...>   target a running server (loopback only) instead of starting one
  --certs-dir <dir>     with --url: the server's certificates directory (ca/, participants/)
  --ca/--cert/--key     with --url: explicit PEM files instead of --certs-dir
  --help`;

const PARTICIPANT = 'MDPONE';
const SUBMIT_PATH = '/pqd/v1/bpqd';
const TARGET = { acceptedPerSecond: 1500, p99Ms: 50 };
/** How many refused-request bodies are printed. */
const ERROR_SAMPLES = 5;

interface Options {
  durationS: number;
  warmupS: number;
  connections: number;
  maxRequests: number;
  intervals: number;
  cpuProf?: string;
  url?: string;
  certsDir?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** Send no x-signature (the in-process server then runs with IDX_SIM_SIGNATURE_REQUIRED=false). */
  unsigned: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      'max-requests': { type: 'string', default: '200000' },
      intervals: { type: 'string', default: '12' },
      'cpu-prof': { type: 'string' },
      unsigned: { type: 'boolean', default: false },
      url: { type: 'string' },
      'certs-dir': { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const num = (name: string, raw: string, min: number, max: number, integer = false): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got "${raw}"`);
    }
    return n;
  };
  const options: Options = {
    durationS: num('duration', values.duration, 0.1, 600),
    warmupS: num('warmup', values.warmup, 0, 120),
    connections: num('connections', values.connections, 1, 1024, true),
    maxRequests: num('max-requests', values['max-requests'], 1, 10_000_000, true),
    intervals: num('intervals', values.intervals, 1, 288, true),
    cpuProf: values['cpu-prof'],
    unsigned: values.unsigned,
    url: values.url,
    certsDir: values['certs-dir'],
    ca: values.ca,
    cert: values.cert,
    key: values.key,
  };
  if (options.url) {
    const { protocol, hostname } = new URL(options.url);
    if (protocol !== 'https:') throw new Error('--url must be https:// (IDX is mTLS-only)');
    if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)) throw new Error(`--url must be a loopback address, got ${hostname}`);
    if (!options.certsDir && !(options.ca && options.cert && options.key)) throw new Error('--url needs --certs-dir, or all of --ca, --cert and --key');
  } else if (options.certsDir || options.ca || options.cert || options.key) {
    throw new Error('--certs-dir/--ca/--cert/--key only make sense with --url');
  }
  return options;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;
const gib = (bytes: number) => round(bytes / 1024 ** 3, 1);

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const cpu = cpus();
  const machine = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cpus: cpu.length,
    totalMemGiB: gib(totalmem()),
    freeMemGiB: gib(freemem()),
  };

  // Watchdog: whatever happens, the benchmark stops by itself.
  const watchdogMs = (options.warmupS + options.durationS + 120) * 1000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: watchdog fired after ${watchdogMs / 1000} s; aborting\n`);
    process.exit(2);
  }, watchdogMs);
  watchdog.unref();

  let tempDir: string | undefined;
  let server: RunningServer | undefined;
  let pool: Pool | undefined;
  try {
    // 1. The server: in-process on a fresh temporary directory, or the one at --url.
    let url: string;
    let tls: { ca: string; cert: string; key: string };
    if (options.url) {
      url = options.url.replace(/\/+$/, '');
      const p = options.certsDir ? pkiPaths(options.certsDir) : undefined;
      tls = {
        ca: readFileSync(options.ca ?? p!.caCert, 'utf8'),
        cert: readFileSync(options.cert ?? p!.participantCert(PARTICIPANT, 'primary'), 'utf8'),
        key: readFileSync(options.key ?? p!.participantKey(PARTICIPANT, 'primary'), 'utf8'),
      };
    } else {
      tempDir = mkdtempSync(join(tmpdir(), 'idx-sim-bench-'));
      const certsDir = join(tempDir, 'certs');
      const started = performance.now();
      server = await startServer({
        dataDir: join(tempDir, 'data'),
        certsDir,
        fixturesDir: join(PROJECT_ROOT, 'fixtures'),
        port: 0,
        host: '127.0.0.1',
        logLevel: 'warn',
        // Quotas relaxed: 50 requests per minute would end a throughput test in its first second (issue #3).
        profile: 'ci',
        signatureRequired: !options.unsigned,
      });
      url = server.url;
      const p = pkiPaths(certsDir);
      tls = {
        ca: readFileSync(p.caCert, 'utf8'),
        cert: readFileSync(p.participantCert(PARTICIPANT, 'primary'), 'utf8'),
        key: readFileSync(p.participantKey(PARTICIPANT, 'primary'), 'utf8'),
      };
      process.stdout.write(`server: in-process at ${url} (started in ${Math.round(performance.now() - started)} ms, data in ${tempDir})\n`);
    }

    pool = new Pool(url, {
      connections: options.connections,
      pipelining: 1,
      connect: { ...tls, rejectUnauthorized: true },
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      keepAliveTimeout: 60_000,
    });

    // 2. An access token for MDPONE, over mTLS.
    const tokenRes = await pool.request({
      method: 'POST',
      path: '/oauth/v1/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials', client_id: 'mdpone-api', client_secret: 'mdpone-secret', scope: 'PQD_BPQD',
      }).toString(),
    });
    const tokenText = await tokenRes.body.text();
    if (tokenRes.statusCode !== 200) throw new Error(`token request failed: HTTP ${tokenRes.statusCode} ${tokenText}`);
    const token = (JSON.parse(tokenText) as { access_token: string }).access_token;

    // 3. One payload, gzipped once; every request reuses the bytes (duplicates are keyed on the header).
    const payload = generateBpqdPayload(createRandom('idx-sim-bench'), {
      sender: PARTICIPANT,
      recipients: ['LNSPNORTH'],
      nmis: ['4102000001'],
      date: '2026-07-01',
      intervalCount: options.intervals,
      priority: 'l',
    });
    const json = Buffer.from(JSON.stringify(payload));
    const gz = gzipSync(json);
    // x-signature over the uncompressed JSON with MDPONE's primary certificate (spec §3); the server
    // verifies it on every request, so the measured path includes CMS parsing and the RSA check.
    const signature = options.unsigned ? undefined : new MessageSigner({ certPem: tls.cert, keyPem: tls.key }).sign(json);
    // Unique per run, so re-running against the same --url server never collides: b<8 hex>-<counter>.
    const runId = createRandom().hex(4);
    const contextId = (n: number) => `pqd~bpqd~l~mdpone~b${runId}-${n}`;
    const headersFor = (n: number) => ({
      'x-messagecontextid': contextId(n),
      'x-initiatingparticipantid': PARTICIPANT,
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      ...(signature ? { 'x-signature': signature } : {}),
    });

    // Preflight: one submission, checked in full, so a setup mistake fails fast with the reason.
    const pre = await pool.request({ method: 'POST', path: SUBMIT_PATH, headers: headersFor(0), body: gz });
    const preText = await pre.body.text();
    if (pre.statusCode !== 200 || !preText.includes('delivery_pending')) {
      throw new Error(`preflight submission refused: HTTP ${pre.statusCode} ${preText}`);
    }

    // 4. Closed loop: `connections` workers, one request in flight each.
    const latenciesMs = new Float64Array(options.maxRequests);
    let measured = 0;
    let measuredAccepted = 0;
    let issued = 1; // the preflight used counter 0
    let acceptedTotal = 1;
    let errorsTotal = 0;
    let warmupRequests = 0;
    const statusCounts = new Map<string, number>();
    const errorSamples: string[] = [];
    let cappedByMaxRequests = false;

    const t0 = process.hrtime.bigint();
    const measureStart = t0 + BigInt(Math.round(options.warmupS * 1e9));
    const measureEnd = measureStart + BigInt(Math.round(options.durationS * 1e9));
    let lastMeasuredDone = measureStart;
    let elu0 = performance.eventLoopUtilization();
    let cpu0 = process.cpuUsage();
    let windowOpened = options.warmupS === 0;
    // The profiler (if asked for) covers the measured window only: no startup, key generation or warm-up.
    const profiler = options.cpuProf ? new Session() : undefined;
    const openWindow = () => {
      windowOpened = true;
      if (profiler) {
        profiler.connect();
        profiler.post('Profiler.enable');
        profiler.post('Profiler.start');
      }
      elu0 = performance.eventLoopUtilization();
      cpu0 = process.cpuUsage();
    };
    if (windowOpened) openWindow();

    process.stdout.write(`running: ${options.connections} connections, ${options.warmupS} s warm-up + ${options.durationS} s measured (cap ${options.maxRequests} requests)\n`);

    const worker = async () => {
      for (;;) {
        const start = process.hrtime.bigint();
        if (start >= measureEnd) return;
        if (issued >= options.maxRequests) {
          cappedByMaxRequests = true;
          return;
        }
        const n = issued++;
        const inWindow = start >= measureStart;
        if (inWindow && !windowOpened) openWindow();
        let status: string;
        let body: string | undefined;
        try {
          const res = await pool!.request({ method: 'POST', path: SUBMIT_PATH, headers: headersFor(n), body: gz });
          status = String(res.statusCode);
          if (res.statusCode === 200) await res.body.dump();
          else body = await res.body.text();
        } catch (err) {
          status = (err as { code?: string }).code ?? 'ERROR';
          body = (err as Error).message;
        }
        const end = process.hrtime.bigint();
        const ok = status === '200';
        if (ok) acceptedTotal++;
        else {
          errorsTotal++;
          statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
          if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(`${status} ${contextId(n)}: ${body ?? ''}`.slice(0, 1000));
        }
        if (inWindow) {
          latenciesMs[measured++] = Number(end - start) / 1e6;
          if (ok) measuredAccepted++;
          if (end > lastMeasuredDone) lastMeasuredDone = end;
        } else {
          warmupRequests++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.connections }, worker));
    const elu = performance.eventLoopUtilization(elu0);
    const cpuUsed = process.cpuUsage(cpu0);
    if (profiler && windowOpened) {
      const profile = await new Promise<object>((resolve, reject) =>
        profiler.post('Profiler.stop', (err, res) => (err ? reject(err) : resolve(res.profile))));
      profiler.disconnect();
      writeFileSync(options.cpuProf!, JSON.stringify(profile));
      process.stdout.write(`cpu profile of the measured window: ${options.cpuProf}\n`);
    }

    // 5. Results.
    const windowS = Number(lastMeasuredDone - measureStart) / 1e9;
    const sorted = latenciesMs.subarray(0, measured).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const result = {
      signed: !options.unsigned,
      acceptedPerSecond: windowS > 0 ? round(measuredAccepted / windowS, 1) : 0,
      p50Ms: round(percentile(sorted, 0.5)),
      p90Ms: round(percentile(sorted, 0.9)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted.length ? sorted[sorted.length - 1]! : NaN),
      meanMs: round(measured ? sum / measured : NaN),
      measuredRequests: measured,
      measuredAccepted,
      measuredSeconds: round(windowS, 3),
      warmupRequests,
      acceptedTotal,
      errors: errorsTotal,
      errorsByStatus: Object.fromEntries(statusCounts),
      cappedByMaxRequests,
      connections: options.connections,
      durationS: options.durationS,
      warmupS: options.warmupS,
      payloadBytes: json.length,
      gzipBytes: gz.length,
      intervals: options.intervals,
      mode: options.url ? 'external' : 'in-process',
      eventLoopUtilization: round(elu.utilization, 3),
      processCpuCores: round((cpuUsed.user + cpuUsed.system) / 1e6 / Math.max(windowS, 1e-9), 2),
      targetMet: measuredAccepted / windowS >= TARGET.acceptedPerSecond && percentile(sorted, 0.99) < TARGET.p99Ms,
      date: new Date().toISOString(),
      ...machine,
    };

    // Cross-check (in-process only): the database holds exactly the messages answered with 200.
    if (server) {
      const stored = (server.ctx.db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      if (stored !== acceptedTotal) {
        errorSamples.push(`database holds ${stored} messages, but ${acceptedTotal} submissions were answered 200`);
        result.errors++;
      }
    }

    const rows: [string, string][] = [
      ['mode', `${result.mode} (${url})`],
      ['signatures', result.signed ? 'x-signature on every submission, verified by the hub' : 'none (--unsigned)'],
      ['payload', `${result.payloadBytes} B JSON, ${result.gzipBytes} B gzip (1 NMI, ${result.intervals} intervals, 3 phases)`],
      ['connections', `${result.connections} (keep-alive, pipelining 1, ${result.connections} closed-loop workers)`],
      ['warm-up / measured', `${result.warmupS} s (${warmupRequests} requests) / ${result.measuredSeconds} s (${measured} requests)`],
      ['accepted/s', String(result.acceptedPerSecond)],
      ['latency p50', `${result.p50Ms} ms`],
      ['latency p90', `${result.p90Ms} ms`],
      ['latency p99', `${result.p99Ms} ms`],
      ['latency max', `${result.maxMs} ms`],
      ['latency mean', `${result.meanMs} ms`],
      ['errors', `${result.errors}${statusCounts.size ? ` ${JSON.stringify(result.errorsByStatus)}` : ''}`],
      ['event loop util.', `${result.eventLoopUtilization} (the only JS thread${server ? ', shared by client and server' : ''})`],
      ['process CPU', `${result.processCpuCores} cores during the measured window`],
      ['target', `>= ${TARGET.acceptedPerSecond}/s and p99 < ${TARGET.p99Ms} ms: ${result.targetMet ? 'met' : 'NOT met'}`],
      ['machine', `${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.totalMemGiB} GiB RAM, ${machine.platform}`],
      ['node', machine.node],
    ];
    if (cappedByMaxRequests) rows.push(['note', `stopped early at --max-requests ${options.maxRequests}`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
    if (errorSamples.length) process.stdout.write(`\nfirst errors:\n${errorSamples.map((e) => `  ${e}`).join('\n')}\n`);
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
    return result.errors === 0 ? 0 : 1;
  } finally {
    await pool?.close().catch(() => undefined);
    await server?.close().catch((err: unknown) => process.stderr.write(`bench: server close failed: ${String(err)}\n`));
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
