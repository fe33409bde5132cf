/**
 * Summarises a V8 `.cpuprofile` without any tooling: the hottest functions by self time, the heaviest by
 * total (inclusive) time, and self time grouped by where the code lives (idx-sim src/, the benchmark
 * client, each npm package, Node internals, native/GC).
 *
 *   node dist/bench/bpqd-submit.js --cpu-prof /tmp/bench.cpuprofile     (measured window only)
 *   node dist/bench/cpuprofile-summary.js /tmp/bench.cpuprofile [--top 30]
 *
 * A whole-process profile (`node --cpu-prof --cpu-prof-dir=DIR dist/bench/bpqd-submit.js`) works too,
 * but also contains startup: development key generation, module loading and the warm-up.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives, coarse enough to act on. */
export function area(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'native (program)';
    return 'native';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/(src|bench)\/(.*)$/.exec(url) ?? /\/(src|bench)\/(.*)$/.exec(url);
  if (own) return own[1] === 'bench' ? 'bench client' : `src/${own[2]!.replace(/\.js$/, '.ts')}`;
  return url;
}

function frameKey(f: CallFrame): string {
  const where = f.url ? `${f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '').replace(/^node:/, 'node:')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

export function summarise(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let sampled = 0;
  // timeDeltas[i] is the time before sample i; attribute it to sample i (V8's own convention).
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    sampled += dt;
    const key = frameKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id)!.callFrame);
      if (k === '(root)' || seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  const pct = (us: number) => `${((100 * us) / sampled).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const table = (title: string, m: Map<string, number>, n: number) =>
    [title, ...[...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${pct(v)} ${ms(v)}  ${k}`)].join('\n');
  return [
    `profile: ${(sampled / 1e6).toFixed(2)} s sampled, ${profile.samples.length} samples`,
    table('\nself time by area:', areas, 40),
    table(`\nself time, top ${top} functions:`, self, top),
    table(`\ntotal (inclusive) time, top ${top} functions:`, total, top),
  ].join('\n');
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
if (positionals.length === 0) {
  process.stderr.write('usage: node dist/bench/cpuprofile-summary.js <file.cpuprofile>... [--top N]\n');
  process.exitCode = 2;
}
for (const file of positionals) {
  process.stdout.write(`== ${file}\n${summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(values.top))}\n\n`);
}
