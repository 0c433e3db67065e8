import type { RootFs } from '../rootfs/rootfs.js';

export interface DirectorySize {
  /** Absolute path, e.g. "/usr/lib". */
  path: string;
  /** Bytes of regular-file content under it, each hardlinked inode counted once (as du does). */
  bytes: number;
  /** Entries under it that are not directories (files, symlinks, devices). */
  files: number;
}

export interface FsTotals {
  /** Entries that are not directories. */
  files: number;
  directories: number;
  /** Bytes of regular-file content, each inode once. */
  bytes: number;
}

/** Recursive size of every directory of the merged filesystem, the root ("/") included. */
export function directorySizes(fs: RootFs): Map<string, { bytes: number; files: number }> {
  const sizes = new Map<string, { bytes: number; files: number }>();
  const seenInodes = new Set<number>();
  const add = (dir: string, bytes: number): void => {
    const s = sizes.get(dir);
    if (s) {
      s.bytes += bytes;
      s.files++;
    } else sizes.set(dir, { bytes, files: 1 });
  };
  for (const e of fs.walk()) {
    if (e.type === 'dir') {
      if (!sizes.has(e.path)) sizes.set(e.path, { bytes: 0, files: 0 });
      continue;
    }
    let bytes = e.size;
    if (e.content) {
      if (seenInodes.has(e.content.inode)) bytes = 0;
      else seenInodes.add(e.content.inode);
    }
    add('', bytes);
    for (let p = e.path; p.includes('/'); ) {
      p = p.slice(0, p.lastIndexOf('/'));
      add(p, bytes);
    }
  }
  return sizes;
}

/** The `n` largest directories by recursive size, largest first (the root left out). */
export function largestDirectories(fs: RootFs, n: number): DirectorySize[] {
  return [...directorySizes(fs)]
    .filter(([path]) => path !== '')
    .map(([path, s]) => ({ path: `/${path}`, bytes: s.bytes, files: s.files }))
    .sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, n);
}

/** File and directory counts and content bytes of the merged filesystem. */
export function fsTotals(fs: RootFs): FsTotals {
  let files = 0;
  let directories = 0;
  let bytes = 0;
  const seenInodes = new Set<number>();
  for (const e of fs.walk()) {
    if (e.type === 'dir') {
      directories++;
      continue;
    }
    files++;
    if (e.content && !seenInodes.has(e.content.inode)) {
      seenInodes.add(e.content.inode);
      bytes += e.size;
    }
  }
  return { files, directories, bytes };
}
