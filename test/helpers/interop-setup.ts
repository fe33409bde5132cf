/**
 * Global setup of `npm run test:interop` (vitest.interop.config.ts): the same development PKI as the main
 * suite (test/helpers/global-setup.ts), without judging contract coverage — these few files are clients we
 * did not write, run beside the suite, not the suite itself.
 */
import type { TestProject } from 'vitest/node';
import { provideRunFolders } from './global-setup.js';

export default function setup(project: TestProject): () => void {
  return provideRunFolders(project, 'interop').remove;
}
