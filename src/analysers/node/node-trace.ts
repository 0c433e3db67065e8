import type { Stats } from 'node:fs';
import type { RootFs } from '../../rootfs/rootfs.js';
import { cleanPath } from '../../rootfs/paths.js';

export interface TracedFile {
  /** In-image path, no leading slash. */
  path: string;
  /** nft's words: initial, resolve, dependency, asset, sharedlib. */
  types: string[];
  /** The first file that led to it, for the audit. */
  parent?: string;
}

/**
 * Runs @vercel/nft over the image's merged tree (its file-system hooks read the layers in place,
 * nothing is unpacked) from the scripts node runs, and returns every file it reached with nft's
 * reason. Glob-based asset discovery is off: it would read the host's disk, not the image's.
 */
export async function traceWithNft(fs: RootFs, scripts: readonly string[], cwd: string): Promise<TracedFile[]> {
  const { nodeFileTrace } = await import('@vercel/nft');
  const abs = (p: string): string => `/${cleanPath(p)}`;
  const result = await nodeFileTrace(
    scripts.map(abs),
    {
      base: '/',
      processCwd: abs(cwd),
      // Node 20.19+ loads ESM through require() and so follows "module-sync" exports too.
      conditions: ['module-sync', 'node', 'require', 'import', 'default'],
      analysis: { emitGlobs: false, computeFileReferences: true, evaluatePureExpressions: true },
      readFile: async (p: string) => {
        const r = fs.resolve(p);
        if (r.entry?.type !== 'file') return null;
        return fs.readContent(r.entry, 0, r.entry.size);
      },
      stat: async (p: string) => {
        const r = fs.resolve(p);
        if (!r.entry) return null;
        return statsOf(r.entry.type === 'dir', r.entry.type === 'file', r.entry.size);
      },
      readlink: async (p: string) => {
        const e = fs.lstat(p);
        return e?.type === 'symlink' ? e.linkTarget : null;
      },
    },
  );
  const out: TracedFile[] = [];
  for (const file of result.fileList) {
    const reason = result.reasons.get(file);
    const parent = reason ? [...reason.parents][0] : undefined;
    out.push({ path: cleanPath(file), types: reason?.type ?? [], ...(parent ? { parent: cleanPath(parent) } : {}) });
  }
  return out;
}

/** The part of fs.Stats nft looks at. */
function statsOf(isDir: boolean, isFile: boolean, size: number): Stats {
  return {
    isDirectory: () => isDir,
    isFile: () => isFile,
    isSymbolicLink: () => false,
    size,
  } as unknown as Stats;
}
