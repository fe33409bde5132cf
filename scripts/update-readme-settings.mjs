// Rewrites the README's configuration table (between <!-- settings --> markers) from src/config.ts.
// Usage: npm run docs:settings   (builds first; test/e2e/readme-walkthrough.test.ts checks the result)
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../dist/src/config.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const updated = readme.replace(/(<!-- settings -->\n)[\s\S]*?(\n<!-- \/settings -->)/, `$1${settingsTable()}$2`);
if (updated === readme) process.stdout.write('README settings table already current\n');
else {
  writeFileSync(path, updated);
  process.stdout.write('README settings table updated\n');
}
