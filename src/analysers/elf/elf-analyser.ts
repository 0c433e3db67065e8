import type { Analyser, AnalysisContext } from '../analyser.js';
import { isElfMagic } from './elf-parser.js';
import { ElfResolver } from './elf-closure.js';
import { addGlibcRuntime } from './glibc-runtime.js';

export interface ElfAnalyserOptions {
  glibcRuntime: boolean;
  gconv: boolean;
}

/**
 * Adds the shared-library closure of every root that is an ELF file, and (for glibc) what
 * glibc loads at run time. Roots that are not ELF are skipped silently: callers pass every
 * kept file and let this decide.
 */
export function createElfAnalyser(opts: ElfAnalyserOptions): Analyser {
  return {
    name: 'elf',
    async run(ctx: AnalysisContext, roots: readonly string[]): Promise<void> {
      const resolver = new ElfResolver(ctx.fs, ctx.env);
      let any = false;
      for (const root of roots) any = (await resolver.add(root, `ELF file kept as /${root.replace(/^\//, '')}`)) || any;
      if (!any) return;
      let closure = resolver.result();
      if (opts.glibcRuntime && closure.libc === 'glibc') {
        const extra = await addGlibcRuntime(ctx.fs, resolver, { gconv: opts.gconv });
        for (const k of extra.keep) ctx.keep.add(k.path, { by: 'glibc', why: k.why, layer: 'os' });
        for (const n of extra.notes) ctx.warn(n);
        closure = resolver.result();
      }
      for (const k of closure.keep) ctx.keep.add(k.path, { by: 'elf', why: k.why, ...(k.system ? { layer: 'os' as const } : {}) });
      for (const m of closure.missing) ctx.warn(`${m.name}, needed by ${m.neededBy}, is not in the image (searched ${m.searched.join(', ') || 'nothing'})`);
    },
  };
}

/** True if the file at this path is an ELF file (follows symlinks). */
export async function isElfFile(ctx: Pick<AnalysisContext, 'fs'>, path: string): Promise<boolean> {
  const e = ctx.fs.stat(path);
  if (e?.type !== 'file' || e.size < 4) return false;
  return isElfMagic(await ctx.fs.readContent(e, 0, 4));
}
