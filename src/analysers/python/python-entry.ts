import type { RootFs } from '../../rootfs/rootfs.js';
import { basename, cleanPath, dirname, joinPath } from '../../rootfs/paths.js';
import type { ProgramStep, ResolvedEntrypoint } from '../entrypoint.js';

/** What the entrypoint tells about a Python program. */
export interface PythonEntry {
  interpreter: ProgramStep;
  /** X.Y, from the interpreter's name or its lib/pythonX.Y folder. */
  version: string;
  /** The installation prefix: usr for /usr/bin/python3.11, usr/local for /usr/local/bin/python3. */
  prefix: string;
  /** A virtual environment the interpreter was started from (its folder with pyvenv.cfg). */
  venv?: string;
  /** The script python runs (a file), when there is one. */
  script?: string;
  /** `python -m NAME`. */
  module?: string;
  cwd: string;
}

const PYTHON_NAME = /^python(\d+(\.\d+)?)?$/;
/** Options of python that take the next word as their value. */
const OPTIONS_WITH_VALUE = new Set(['-W', '-X', '--check-hash-based-pycs']);

export function isPythonBinary(step: ProgramStep): boolean {
  return (step.kind === 'dynamic-elf' || step.kind === 'static-elf') && PYTHON_NAME.test(basename(step.path));
}

/** Reads python's command line: options, then `-m MODULE`, `-c CMD` or a script. */
export function parsePythonArgs(args: readonly string[]): { script?: string; module?: string; command: boolean } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-m') return { module: args[i + 1], command: false };
    if (a.startsWith('-m') && a.length > 2) return { module: a.slice(2), command: false };
    if (a === '-c' || a.startsWith('-c')) return { command: true };
    if (a === '--') return { script: args[i + 1], command: false };
    if (a === '-') return { command: true };
    if (!a.startsWith('-')) return { script: a, command: false };
    if (OPTIONS_WITH_VALUE.has(a)) i++;
  }
  return { command: false };
}

/** Finds the version and prefix of an interpreter at PREFIX/bin/pythonX[.Y]. */
function versionAndPrefix(fs: RootFs, interpreter: string): { version: string; prefix: string } | undefined {
  const prefix = dirname(dirname(interpreter));
  const named = /^python(\d+\.\d+)$/.exec(basename(interpreter))?.[1];
  if (named) return { version: named, prefix };
  const libs = fs
    .list(joinPath(prefix, 'lib'))
    .map((e) => /^python(\d+\.\d+)$/.exec(basename(e.path))?.[1])
    .filter((v): v is string => v !== undefined && fs.stat(joinPath(joinPath(prefix, 'lib'), `python${v}/os.py`)) !== undefined);
  return libs.length > 0 ? { version: libs.sort().at(-1)!, prefix } : undefined;
}

/**
 * Works out what python runs from the resolved entrypoint: `python [opts] script|-m mod`, or a
 * script whose `#!` line names python (gunicorn, a console script in a venv).
 */
export function findPythonEntry(fs: RootFs, entry: ResolvedEntrypoint, cwdAbs: string): PythonEntry | undefined {
  const at = entry.chain.findIndex(isPythonBinary);
  if (at < 0) return undefined;
  const interpreter = entry.chain[at]!;
  const vp = versionAndPrefix(fs, interpreter.path);
  if (!vp) return undefined;
  const cwd = cleanPath(cwdAbs);
  const result: PythonEntry = { interpreter, ...vp, cwd };
  // A venv's bin/python is a symlink to the real interpreter; pyvenv.cfg sits one folder above bin/.
  const invoked = at === 0 ? interpreter.symlinks[0] : entry.chain[at - 1]!.shebang?.[0];
  const venvOf = (p: string | undefined): string | undefined => {
    if (!p) return undefined;
    const dir = dirname(dirname(cleanPath(p)));
    return fs.stat(joinPath(dir, 'pyvenv.cfg'))?.type === 'file' ? dir : undefined;
  };
  result.venv = venvOf(invoked) ?? venvOf(at > 0 ? entry.chain[at - 1]!.path : undefined);
  if (result.venv === undefined) delete result.venv;
  if (at === 0) {
    const args = parsePythonArgs(entry.argv.slice(1));
    if (args.module) result.module = args.module;
    if (args.script) result.script = args.script.startsWith('/') ? cleanPath(args.script) : cleanPath(joinPath(cwd, args.script));
  } else {
    result.script = entry.chain[at - 1]!.path;
  }
  return result;
}
