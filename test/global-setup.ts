import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Builds dist/ once so CLI tests run the same JavaScript a user would. Type errors do not stop
 * the emit (and `npm run build` in .ci/run fails on them anyway).
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
