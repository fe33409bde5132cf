import type { StepResult } from './result-model.js';

/**
 * How people name a step, everywhere a run is shown (progress, JUnit, report, defects): `step 3`,
 * `setup step 1`, `teardown step 2`. StepResult.index counts from 0 within its phase (the runner's
 * numbering); people count from 1.
 */
export function stepLabel(step: Pick<StepResult, 'index' | 'phase'>): string {
  return `${step.phase === 'steps' ? '' : `${step.phase} `}step ${step.index + 1}`;
}
