import type { Resolution, RootFs } from '../../rootfs/rootfs.js';
import { basename, cleanPath, dirname, joinPath } from '../../rootfs/paths.js';

/**
 * Finds the folder `require(name)` reaches from a package's real folder, as Node does: each
 * ancestor's node_modules from the nearest up (node_modules folders themselves are skipped),
 * then NODE_PATH. Node resolves from real paths, which is what makes pnpm's `.pnpm` store work:
 * a package's dependencies are its siblings in the store.
 */
export function findPackageFolder(fs: RootFs, fromRealDir: string, name: string, nodePath: readonly string[] = []): Resolution | undefined {
  const tryDir = (dir: string): Resolution | undefined => {
    const r = fs.resolve(joinPath(joinPath(dir, 'node_modules'), name));
    return r.entry?.type === 'dir' ? r : undefined;
  };
  for (let d = cleanPath(fromRealDir); ; d = dirname(d)) {
    if (basename(d) !== 'node_modules') {
      const found = tryDir(d);
      if (found) return found;
    }
    if (d === '') break;
  }
  for (const p of nodePath) {
    const r = fs.resolve(joinPath(cleanPath(p), name));
    if (r.entry?.type === 'dir') return r;
  }
  return undefined;
}
