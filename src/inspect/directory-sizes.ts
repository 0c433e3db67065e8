import type { RootFs } from '../rootfs/rootfs.js';

export interface DirectorySize {
  path: string;
  bytes: number;
  files: number;
}

/**
 * Recursive sizes of directories, largest first. Only the deepest directories that hold at
 * least a tenth of their parent's bytes would be more telling, but top-N by size with the
 * top-level directories first is what users scan for.
 */
export function directorySizes(fs: RootFs): Map<string, { bytes: number; files: number }> {
  const sizes = new Map<string, { bytes: number; files: number }>();
  for (const e of fs.walk()) {
    if (e.type === 'dir') continue;
    let p = e.path;
    while (p.includes('/')) {
      p = p.slice(0, p.lastIndexOf('/'));
      const s = sizes.get(p) ?? { bytes: 0, files: 0 };
      s.bytes += e.size;
      s.files++;
      sizes.set(p, s);
    }
  }
  return sizes;
}

export function largestDirectories(fs: RootFs, n: number): DirectorySize[] {
  return [...directorySizes(fs)]
    .map(([path, s]) => ({ path: `/${path}`, ...s }))
    .sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1))
    .slice(0, n);
}
