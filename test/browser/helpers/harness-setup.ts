/**
 * Global setup of the browser tests (vitest.browser.config.ts): the development PKI the test harness
 * (test/helpers/harness.ts) needs, so a browser test can run a hub built like the API tests' — and a
 * scratch folder for the harness's contract-coverage notes, which only `npm test` judges. The same run
 * folders as the main suite's (test/helpers/global-setup.ts: the committed test keys, no key generated).
 */
import type { TestProject } from 'vitest/node';
import { provideRunFolders } from '../../helpers/global-setup.js';

export default function setup(project: TestProject): () => void {
  return provideRunFolders(project, 'browser').remove;
}
