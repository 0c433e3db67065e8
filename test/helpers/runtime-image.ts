/**
 * Runs one runtime analyser (node, python, java) over a synthetic image built in memory: the
 * entrypoint is resolved as `whittle slim` resolves it, and the keep set comes back.
 */
import { resolveEntrypoint, envMap } from '../../src/analysers/entrypoint.js';
import type { AnalysisContext } from '../../src/analysers/analyser.js';
import type { ContainerConfig } from '../../src/image/model.js';
import { KeepSet } from '../../src/slim/keep-set.js';
import { elfFile } from './elf-image.js';
import { dir, file, rootFsOf, symlink, tempDir, type MemberSpec } from './synthetic.js';
import type { ResolvedEntrypoint } from '../../src/analysers/entrypoint.js';

export const LOADER = '/lib64/ld-linux-x86-64.so.2';

/** A dynamically linked executable (nothing runs it; the analysers only read its headers). */
export const executable = (): Buffer => elfFile({ type: 2, interp: LOADER, needed: ['libc.so.6'] });

/** The usual top folders, so members can be given as paths only. */
export function addParentDirs(members: MemberSpec[]): MemberSpec[] {
  const dirs = new Set<string>();
  for (const m of members) {
    const parts = m.name.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const explicit = new Set(members.filter((m) => m.type === 'directory').map((m) => m.name));
  return [...[...dirs].filter((d) => !explicit.has(d)).sort().map((d) => dir(d)), ...members];
}

export interface AnalysedImage {
  keep: KeepSet;
  kept: string[];
  warnings: string[];
  /** The audit's reason for a path that was left out, if an analyser gave one. */
  declined(path: string): string | undefined;
}

export async function analyseRuntime(
  members: MemberSpec[],
  config: ContainerConfig,
  run: (ctx: AnalysisContext, entry: ResolvedEntrypoint, cwd: string) => Promise<void>,
): Promise<AnalysedImage> {
  const tmp = tempDir();
  const fs = await rootFsOf(tmp.dir, [addParentDirs(members)]);
  try {
    const keep = new KeepSet();
    const warnings: string[] = [];
    const env = envMap(config.Env ?? ['PATH=/usr/local/bin:/usr/bin:/bin']);
    const ctx: AnalysisContext = { fs, config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config }, env, keep, warn: (m) => warnings.push(m) };
    const entry = await resolveEntrypoint(fs, { ...config, Env: [...env].map(([k, v]) => `${k}=${v}`) });
    await run(ctx, entry, config.WorkingDir || '/');
    return { keep, kept: keep.paths().map((p) => `/${p}`), warnings, declined: (p) => keep.declinedReason(p.replace(/^\//, '')) };
  } finally {
    await fs.close();
    tmp.cleanup();
  }
}

export { dir, file, symlink };
