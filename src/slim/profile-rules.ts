import { Minimatch } from 'minimatch';
import type { RootFs } from '../rootfs/rootfs.js';
import type { KeepSet } from './keep-set.js';

/** A named glob: where it came from is part of the reason the user reads in the audit. */
export interface NamedGlob {
  readonly glob: string;
  /** e.g. "profile rule keep[2]" or "--keep". */
  readonly source: string;
}

function compile(globs: readonly NamedGlob[]): Array<{ g: NamedGlob; m: Minimatch }> {
  return globs.map((g) => ({ g, m: new Minimatch(g.glob.startsWith('/') ? g.glob : `/${g.glob}`, { dot: true }) }));
}

/**
 * Keeps every path matching a keep glob; a matched directory keeps everything below it, and
 * a matched symlink keeps what it resolves to. Returns how many paths each glob matched, so
 * a glob that matches nothing can be reported.
 */
export function applyKeepGlobs(fs: RootFs, keep: KeepSet, globs: readonly NamedGlob[]): Map<string, number> {
  const counts = new Map<string, number>(globs.map((g) => [g.glob, 0]));
  if (globs.length === 0) return counts;
  const compiled = compile(globs);
  for (const entry of fs.walk()) {
    const abs = `/${entry.path}`;
    const hit = compiled.find(({ m }) => m.match(abs));
    if (!hit) continue;
    counts.set(hit.g.glob, (counts.get(hit.g.glob) ?? 0) + 1);
    const reason = { by: 'profile', why: `${hit.g.source}: ${hit.g.glob}` };
    keep.add(entry.path, reason);
    if (entry.type === 'dir') for (const below of fs.walk(entry.path)) keep.add(below.path, reason);
    if (entry.type === 'symlink') {
      const r = fs.resolve(entry.path);
      for (const link of r.symlinks) keep.add(link, reason);
      if (r.entry) {
        keep.add(r.path, reason);
        if (r.entry.type === 'dir') for (const below of fs.walk(r.path)) keep.add(below.path, reason);
      }
    }
  }
  return counts;
}

/**
 * Removes kept paths that match a drop glob (a matched directory drops everything below it)
 * and returns path -> the reason, for the audit. Drop wins over every analyser: that is what
 * the user asked for, and a probe shows if it was wrong.
 */
export function applyDropGlobs(keep: KeepSet, globs: readonly NamedGlob[]): Map<string, string> {
  const dropped = new Map<string, string>();
  if (globs.length === 0) return dropped;
  const compiled = compile(globs);
  for (const path of keep.paths()) {
    // A glob that matches a directory drops what is below it, kept or not.
    let why: string | undefined;
    for (let p = path; p !== '' && why === undefined; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
      const hit = compiled.find(({ m }) => m.match(`/${p}`));
      if (hit) why = `dropped by ${hit.g.source}: ${hit.g.glob}`;
    }
    if (why === undefined) continue;
    keep.delete(path);
    dropped.set(path, why);
  }
  return dropped;
}

