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


/**
 * Keeps a folder's tree except what `leaveOut` names a reason for (recorded for the audit, and
 * not descended into). Symlinks inside are kept with what they resolve to, even outside the
 * folder: Debian's JDK links conf/ into /etc, Python's sitecustomize.py too.
 */
export function keepTreeExcept(ctx: AnalysisContext, path: string, reason: KeepReason, leaveOut: (rel: string, type: string) => string | undefined): number {
  const top = keepResolved(ctx, path, reason);
  if (top === undefined) return 0;
  let n = 0;
  const visit = (dir: string, rel: string): void => {
    for (const e of ctx.fs.list(dir)) {
      const name = e.path.slice(e.path.lastIndexOf('/') + 1);
      const relPath = rel ? `${rel}/${name}` : name;
      const why = leaveOut(relPath, e.type);
      if (why !== undefined) {
        ctx.keep.decline(e.path, why);
        if (e.type === 'dir') for (const below of ctx.fs.walk(e.path)) ctx.keep.decline(below.path, why);
        continue;
      }
      n++;
      if (e.type === 'symlink') keepResolved(ctx, e.path, reason);
      else ctx.keep.add(e.path, reason);
      if (e.type === 'dir') visit(e.path, relPath);
    }
  };
  visit(top, '');
  return n;
}
