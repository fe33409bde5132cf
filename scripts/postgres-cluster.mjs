#!/usr/bin/env node
/**
 * A throwaway PostgreSQL cluster for tests, CI and benchmarks (issue #14): initdb in a temporary folder,
 * a free port on 127.0.0.1, stopped and deleted at the end. It uses the server binaries on the machine
 * (Debian's `postgresql` package: initdb/pg_ctl on PATH or under /usr/lib/postgresql/<n>/bin); `.ci/run`
 * installs the package when they are missing. Nothing here is downloaded.
 *
 * PostgreSQL refuses to run as root, so when this process is root the cluster runs as the `postgres` user
 * (created by the Debian package), or `nobody` where that user does not exist.
 *
 * As a module:  const cluster = await startPostgresCluster(); … cluster.url … await cluster.stop();
 * As a command: node scripts/postgres-cluster.mjs start [--dir D] [--durable]  → prints the URL, keeps running
 *               node scripts/postgres-cluster.mjs stop --dir D
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where initdb and pg_ctl live: PATH first, then the newest Debian server package. */
export function postgresBinDir() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  return undefined;
}

function unprivilegedUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { name, uid: id('-u'), gid: id('-g') };
    } catch { /* no such user: try the next */ }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

function run(binDir, user, command, args) {
  const file = join(binDir, command);
  const [cmd, argv] = user ? ['runuser', ['-u', user.name, '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster and returns its URL (user `idxsim`, trust authentication on 127.0.0.1 only, database
 * `postgres`). `durable: false` (the default, for tests) turns fsync off: a killed idx-sim process or a
 * killed postgres still loses nothing committed, only a machine crash could. Benchmarks pass durable: true.
 */
export async function startPostgresCluster({ dir, durable = false } = {}) {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql');
  const base = dir ?? mkdtempSync(join(tmpdir(), 'idx-sim-pg-'));
  mkdirSync(base, { recursive: true });
  const user = unprivilegedUser();
  if (user) chownSync(base, user.uid, user.gid);
  const data = join(base, 'data');
  run(binDir, user, 'initdb', ['-D', data, '-U', 'idxsim', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const settings = [
    `-p ${port}`, `-k ${base}`, "-c listen_addresses='127.0.0.1'", '-c max_connections=200',
    ...(durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
  ].join(' ');
  run(binDir, user, 'pg_ctl', ['-D', data, '-l', join(base, 'postgres.log'), '-o', settings, '-w', '-t', '60', 'start']);
  const url = `postgres://idxsim@127.0.0.1:${port}/postgres`;
  writeFileSync(join(base, 'url'), `${url}\n`);
  let stopped = false;
  return {
    url, port, dir: base,
    /**
     * Stops the server but keeps its folder, to test what clients do while the database is down
     * (`immediate`: as if it crashed, sessions cut without a goodbye; `fast`: a clean shutdown).
     */
    async halt(mode = 'immediate') {
      run(binDir, user, 'pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    /** Starts a halted server again, on the same port and data. */
    async resume() {
      run(binDir, user, 'pg_ctl', ['-D', data, '-l', join(base, 'postgres.log'), '-o', settings, '-w', '-t', '60', 'start']);
    },
    /** Stops the server (fast shutdown; already halted is fine) and deletes its folder. Safe to call twice. */
    async stop() {
      if (stopped) return;
      stopped = true;
      try { if (existsSync(join(data, 'postmaster.pid'))) run(binDir, user, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']); } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}

/** Stops a cluster started by `start` in another process. */
export function stopPostgresCluster(dir) {
  const binDir = postgresBinDir();
  const user = unprivilegedUser();
  try { run(binDir, user, 'pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', '-t', '60', 'stop']); } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...rest] = process.argv.slice(2);
  const option = (name) => { const i = rest.indexOf(name); return i >= 0 ? rest[i + 1] : undefined; };
  if (command === 'start') {
    const cluster = await startPostgresCluster({ dir: option('--dir'), durable: rest.includes('--durable') });
    process.stdout.write(`${cluster.url}\n`);
    process.stderr.write(`cluster folder ${cluster.dir} (as ${userInfo().username === 'root' ? 'an unprivileged user' : userInfo().username}); stop: node scripts/postgres-cluster.mjs stop --dir ${cluster.dir}\n`);
  } else if (command === 'stop' && option('--dir')) {
    stopPostgresCluster(option('--dir'));
  } else {
    process.stderr.write('usage: node scripts/postgres-cluster.mjs start [--dir D] [--durable] | stop --dir D\n');
    process.exit(2);
  }
}
