import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Before any test: make sure a Docker daemon answers (installing and starting it on a fresh
 * machine, as .ci/start-docker.sh does) and build dist/ so CLI tests run the JavaScript a user
 * would. Type errors do not stop the emit (`npm run build` fails on them in .ci/run anyway).
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  const docker = spawnSync('bash', [join(root, '.ci', 'start-docker.sh')], { stdio: 'inherit' });
  if (docker.status !== 0) throw new Error('no Docker daemon: .ci/start-docker.sh failed (see above)');
  spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
