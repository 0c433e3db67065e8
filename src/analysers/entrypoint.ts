import { NotFoundError } from '../errors.js';
import type { ContainerConfig } from '../image/model.js';
import type { RootFs } from '../rootfs/rootfs.js';
import { cleanPath } from '../rootfs/paths.js';
import { parseElf } from './elf/elf-parser.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type ProgramKind = 'static-elf' | 'dynamic-elf' | 'script' | 'other';

/** One program on the way to what runs: the entrypoint, then each `#!` interpreter. */
export interface ProgramStep {
  /** Canonical in-image path (symlinks resolved). */
  path: string;
  /** Symlinks passed on the way. */
  symlinks: readonly string[];
  kind: ProgramKind;
  /** For scripts: the `#!` line's interpreter and its arguments. */
  shebang?: string[];
}

export interface ResolvedEntrypoint {
  argv: string[];
  /** The entrypoint program first, then its interpreters in order. */
  chain: ProgramStep[];
  /** The program that finally runs (the last interpreter, or the entrypoint). */
  program: ProgramStep;
  /** A `sh -c STRING` command string, analysed as a script. */
  inlineScript?: string;
  /**
   * When the entrypoint is a script, the CMD words that name executables in the image: wrapper
   * scripts end in `exec "$@"`, often after shifting their own arguments off.
   */
  cmdPrograms: ProgramStep[];
}

export function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** Finds a command as execvp would: a name with a slash is a path (relative to cwd), else PATH. */
export function findProgram(fs: RootFs, name: string, env: ReadonlyMap<string, string>, cwd: string): { path: string; symlinks: readonly string[] } | undefined {
  const candidates = name.includes('/')
    ? [name.startsWith('/') ? name : `/${cleanPath(`${cwd}/${name}`)}`]
    : (env.get('PATH') ?? DEFAULT_PATH).split(':').filter(Boolean).map((d) => `${d.startsWith('/') ? d : `/${cleanPath(`${cwd}/${d}`)}`}/${name}`);
  for (const c of candidates) {
    const r = fs.resolve(c);
    if (r.entry?.type === 'file') return { path: r.path, symlinks: r.symlinks };
  }
  return undefined;
}

async function describe(fs: RootFs, found: { path: string; symlinks: readonly string[] }): Promise<ProgramStep> {
  const e = fs.stat(found.path)!;
  const head = await fs.readContent(e, 0, 4096);
  if (head.length >= 4 && head[0] === 0x7f && head.subarray(1, 4).toString('latin1') === 'ELF') {
    try {
      const info = await parseElf((o, l) => fs.readContent(e, o, l), `/${found.path}`);
      return { ...found, kind: info.isStatic ? 'static-elf' : 'dynamic-elf' };
    } catch {
      return { ...found, kind: 'other' };
    }
  }
  if (head.subarray(0, 2).toString('latin1') === '#!') {
    const line = head.toString('utf8').split('\n')[0]!.slice(2).trim();
    return { ...found, kind: 'script', shebang: line.split(/\s+/).filter(Boolean) };
  }
  return { ...found, kind: 'other' };
}

/**
 * Resolves what `docker run` would execute: Entrypoint + Cmd, found through the image's PATH
 * and WorkingDir, symlinks followed inside the root, `#!` interpreters (also `/usr/bin/env X`)
 * followed to the end.
 */
export async function resolveEntrypoint(fs: RootFs, config: ContainerConfig): Promise<ResolvedEntrypoint> {
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw new NotFoundError('the image has neither Entrypoint nor Cmd: nothing says what runs; name roots with a profile');
  const env = envMap(config.Env);
  const cwd = config.WorkingDir || '/';
  const first = findProgram(fs, argv[0]!, env, cwd);
  if (!first) throw new NotFoundError(`the entrypoint ${JSON.stringify(argv[0])} is not in the image (PATH=${env.get('PATH') ?? DEFAULT_PATH})`);
  const chain: ProgramStep[] = [await describe(fs, first)];
  for (let depth = 0; depth < 8; depth++) {
    const step = chain[chain.length - 1]!;
    if (step.kind !== 'script' || !step.shebang?.length) break;
    let [interp, ...args] = step.shebang;
    let found = findProgram(fs, interp!, env, '/');
    // #!/usr/bin/env [-S] X: the program is X, found through PATH.
    if (/(^|\/)env$/.test(interp!) && found) {
      chain.push(await describe(fs, found));
      const name = args.find((a) => !a.startsWith('-') && !a.includes('='));
      if (!name) break;
      interp = name;
      found = findProgram(fs, name, env, '/');
    }
    if (!found) throw new NotFoundError(`the interpreter ${JSON.stringify(interp)} of /${step.path} is not in the image`);
    chain.push(await describe(fs, found));
  }
  const program = chain[chain.length - 1]!;
  const result: ResolvedEntrypoint = { argv, chain, program, cmdPrograms: [] };
  const shellIdx = /(^|\/)(sh|bash|dash|ash|zsh)$/.test(argv[0]!) ? argv.indexOf('-c') : -1;
  if (shellIdx > 0 && argv[shellIdx + 1] !== undefined) result.inlineScript = argv[shellIdx + 1];
  if (chain[0]!.kind === 'script' && entrypoint.length > 0) {
    for (const word of cmd) {
      if (!/^[\w./+-]+$/.test(word) || word.startsWith('-')) continue;
      const c = findProgram(fs, word, env, cwd);
      if (c && (fs.stat(c.path)!.mode & 0o111) !== 0) result.cmdPrograms.push(await describe(fs, c));
    }
  }
  return result;
}
