// ESLint (flat config) with typescript-eslint: the language's recommended rules plus the project's own
// (HELPERS/STYLE: one injectable clock and seedable randomness on request paths; pure domain code).
// `npm test` runs it; a lint error fails the suite.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Time and randomness come from src/domain/clock.ts and src/domain/random.ts, so tests and replays are deterministic. */
const noAmbientTimeOrRandom = {
  'no-restricted-properties': ['error',
    { object: 'Date', property: 'now', message: 'Use the injected Clock (src/domain/clock.ts): ctx.clock.now().' },
    { object: 'Math', property: 'random', message: 'Use the seedable Random (src/domain/random.ts).' },
  ],
  'no-restricted-syntax': ['error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected Clock (src/domain/clock.ts): new Date(clock.now()).' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'reports/', 'node_modules/', 'data/', 'certs/', 'generated/'] },
  // openapi-typescript's output (`npm run contract:types`; test/contract/types.test.ts fails on any hand edit):
  // ~230 KB that nobody writes, a tenth of what a cold lint parses. index.ts is written by hand.
  { ignores: ['src/contract/types/*.ts', '!src/contract/types/index.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly' } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsc's noUnusedLocals/noUnusedParameters already report these, with the project's `_` convention.
      '@typescript-eslint/no-unused-vars': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The web pages' browser scripts (src/web/assets): plain scripts, browser globals, uPlot loaded before them.
    files: ['src/web/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(['window', 'document', 'fetch', 'location', 'history', 'navigator', 'DOMParser', 'CustomEvent', 'EventSource',
        'ResizeObserver', 'getComputedStyle', 'FormData', 'URLSearchParams', 'Intl', 'HTMLElement', 'uPlot'].map((name) => [name, 'readonly'])),
    },
  },
  {
    // Request paths: everything the server runs while answering (the CLI, the dev CA and bench take real time).
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/pki/**', 'src/domain/clock.ts', 'src/domain/random.ts'],
    rules: noAmbientTimeOrRandom,
  },
  {
    // Pure domain code: no Fastify, no SQL, no process (STYLE: src/domain).
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['fastify', 'fastify/*', '@fastify/*'], message: 'src/domain is pure TypeScript: no Fastify.' },
        { group: ['better-sqlite3', '../store/*'], message: 'src/domain is pure TypeScript: SQL lives in src/store.' },
        { group: ['../routes/*', '../plugins/*', '../services/*'], message: 'src/domain depends on nothing above it.' },
      ] }],
    },
  },
  {
    // Thin handlers: SQL belongs in src/store.
    files: ['src/routes/**/*.ts', 'src/plugins/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['better-sqlite3'], message: 'SQL lives in src/store.' }] }],
    },
  },
);
