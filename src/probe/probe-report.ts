import { WhittleError } from '../errors.js';
import type { ProbeResult } from './run-probes.js';

export class ProbeFailedError extends WhittleError {
  constructor(results: readonly ProbeResult[]) {
    const failed = results.filter((r) => !r.passed);
    super('probe', `${failed.length} of ${results.length} probes failed: ${failed.map((f) => `${f.probe}: ${f.difference ?? f.original.error ?? 'no answer'}`).join('; ')}`);
  }
}

export function renderProbes(results: readonly ProbeResult[]): string {
  return results
    .map((r) => `${r.passed ? 'pass' : 'FAIL'}  ${r.probe}${r.passed ? '' : `\n      ${r.difference ?? r.original.error ?? 'the original gave no answer'}`}`)
    .join('\n');
}
