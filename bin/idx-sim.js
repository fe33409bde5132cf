#!/usr/bin/env node
// The `idx-sim` command. The TypeScript sources are compiled to dist/ by `npm run build` (run by `npm start`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('idx-sim: not built yet; run `npm run build` (or `npm start`) first\n');
  process.exit(1);
}
await import(entry.href);
