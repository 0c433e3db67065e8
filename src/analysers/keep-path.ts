import type { AnalysisContext, KeepReason } from './analyser.js';

/**
 * Keeps a path the way a program reaches it: every symlink on the way (usr-merge links such as
 * /lib -> usr/lib stay links) and what it finally resolves to. Returns the resolved path, or
 * undefined when nothing is there (the caller decides whether that is worth a warning).
 */
export function keepResolved(ctx: AnalysisContext, path: string, reason: KeepReason): string | undefined {
  const r = ctx.fs.resolve(path);
  for (const link of r.symlinks) ctx.keep.add(link, { ...reason, why: `symlink on the way to /${r.path}; ${reason.why}` });
  if (!r.entry) return undefined;
  ctx.keep.add(r.path, reason);
  return r.path;
}

/** Keeps a directory and everything below it (symlinks inside kept as they are). */
export function keepTree(ctx: AnalysisContext, path: string, reason: KeepReason): number {
  const top = keepResolved(ctx, path, reason);
  if (top === undefined) return 0;
  let n = 0;
  for (const e of ctx.fs.walk(top)) {
    ctx.keep.add(e.path, reason);
    n++;
  }
  return n;
}

