/** Runs the built CLI (dist/cli.js) as a user would. The global setup builds it once. */
import { join } from 'node:path';
import { repoRoot, run, type RunResult } from './docker.js';

export const cliPath = join(repoRoot, 'dist', 'cli.js');

export function whittle(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeoutMs: opts.timeoutMs ?? 600_000 });
}
