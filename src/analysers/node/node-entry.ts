import type { RootFs } from '../../rootfs/rootfs.js';
import { basename, cleanPath, dirname, joinPath } from '../../rootfs/paths.js';
import type { ProgramStep, ResolvedEntrypoint } from '../entrypoint.js';
import { splitShellWords } from '../../probe/probe-spec.js';
import { readPackageJson } from './package-json.js';

/** What the entrypoint tells about a Node program. */
export interface NodeEntry {
  node: ProgramStep;
  /** Canonical paths of the scripts node runs first. */
  scripts: string[];
  /** Module specifiers loaded before the script (-r, --import), resolved from cwd. */
  preloads: string[];
  /** Files node reads because an option names them (--env-file, --icu-data-dir). */
  optionFiles: string[];
  /** A package manager the entrypoint runs (npm start): its whole package is kept. */
  tool?: { name: string; packageDir: string };
  /** The directory the program runs in. */
  cwd: string;
  /** What happened, for warnings: e.g. "npm start runs `vite`, not node". */
  notes: string[];
}

const NODE_NAME = /^node(js)?(\d+(\.\d+)*)?$/;
/** Node options whose value is the next word. */
const OPTIONS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--title', '--input-type', '--icu-data-dir', '--openssl-config', '--redirect-warnings', '--report-dir', '--diagnostic-dir', '--disable-warning', '--watch-path', '--cpu-prof-dir', '--heap-prof-dir', '--run']);
const PACKAGE_MANAGERS = new Set(['npm', 'yarn', 'pnpm', 'corepack']);

export function isNodeBinary(step: ProgramStep): boolean {
  return (step.kind === 'dynamic-elf' || step.kind === 'static-elf') && NODE_NAME.test(basename(step.path));
}

interface NodeArgs {
  script?: string;
  preloads: string[];
  optionFiles: string[];
  evaluates: boolean;
}

/** Reads node's command line: options first, then the script and its own arguments. */
export function parseNodeArgs(args: readonly string[]): NodeArgs {
  const out: NodeArgs = { preloads: [], optionFiles: [], evaluates: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.script = args[i + 1];
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (a !== '-') out.script = a;
      break;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (['-e', '--eval', '-p', '--print'].includes(name)) {
      // The code is the script; what follows are its arguments.
      out.evaluates = true;
      break;
    }
    if (!OPTIONS_WITH_VALUE.has(name)) continue;
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) break;
    if (name === '-r' || name === '--require' || name === '--import' || name === '--loader' || name === '--experimental-loader') out.preloads.push(value);
    if (name === '--env-file' || name === '--icu-data-dir' || name === '--openssl-config') out.optionFiles.push(value);
  }
  return out;
}

/** Finds what `node X` loads for X as Node does for the main module: X, X.js, X.mjs, X.cjs, X/index.js, X's package main. */
export async function resolveMainModule(fs: RootFs, spec: string, cwd: string): Promise<string | undefined> {
  const base = spec.startsWith('/') ? cleanPath(spec) : cleanPath(joinPath(cwd, spec));
  for (const candidate of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, `${base}.json`, `${base}.node`]) {
    const r = fs.resolve(candidate);
    if (r.entry?.type === 'file') return candidate;
  }
  const dir = fs.resolve(base);
  if (dir.entry?.type === 'dir') {
    const pkg = await readPackageJson(fs, dir.path);
    if (pkg && 'manifest' in pkg && typeof pkg.manifest.main === 'string') {
      const main = await resolveMainModule(fs, pkg.manifest.main, base);
      if (main) return main;
    }
    for (const index of ['index.js', 'index.mjs', 'index.cjs', 'index.json', 'index.node']) {
      if (fs.resolve(joinPath(base, index)).entry?.type === 'file') return joinPath(base, index);
    }
  }
  return undefined;
}

/** The package folder a file belongs to: the nearest ancestor with a package.json. */
export function packageRootOf(fs: RootFs, file: string): string | undefined {
  for (let d = dirname(cleanPath(file)); ; d = dirname(d)) {
    if (fs.stat(joinPath(d, 'package.json'))?.type === 'file') return d;
    if (d === '') return undefined;
  }
}

/**
 * Works out what node runs from the resolved entrypoint: `node [options] script`, a script with
 * a `#!/usr/bin/env node` line, or a package manager's `start`/`run NAME` (the script comes
 * from package.json in the working directory).
 */
export async function findNodeEntry(fs: RootFs, entry: ResolvedEntrypoint, cwdAbs: string): Promise<NodeEntry | undefined> {
  const at = entry.chain.findIndex(isNodeBinary);
  if (at < 0) return undefined;
  const cwd = cleanPath(cwdAbs);
  const result: NodeEntry = { node: entry.chain[at]!, scripts: [], preloads: [], optionFiles: [], cwd, notes: [] };
  let args: NodeArgs;
  if (at === 0) {
    args = parseNodeArgs(entry.argv.slice(1));
  } else {
    // A script whose #! line runs node (perhaps through /usr/bin/env): the script is the main module.
    const script = entry.chain.slice(0, at).reverse().find((s) => s.kind === 'script') ?? entry.chain[at - 1]!;
    args = { script: `/${script.path}`, preloads: [], optionFiles: [], evaluates: false };
    const shebangArgs = script.shebang?.slice(1).filter((w) => w !== '-S' && !NODE_NAME.test(basename(w))) ?? [];
    const fromShebang = parseNodeArgs(shebangArgs);
    args.preloads.push(...fromShebang.preloads);
    args.optionFiles.push(...fromShebang.optionFiles);
    const toolMatch = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(script.path);
    const toolName = toolMatch?.[1];
    if (toolName && PACKAGE_MANAGERS.has(toolName)) {
      result.tool = { name: toolName, packageDir: script.path.slice(0, toolMatch.index + toolMatch[0].length - 1) };
      args = await packageScriptArgs(fs, entry.argv.slice(1), cwd, result);
    }
  }
  if (args.script) {
    const main = await resolveMainModule(fs, args.script, cwd);
    if (main) result.scripts.push(main);
    else result.notes.push(`node runs ${args.script}, which is not in the image`);
  } else if (!args.evaluates && !result.tool) {
    // `node` alone is a REPL; an image usually means its package's main then.
    const pkg = await readPackageJson(fs, cwd);
    if (pkg && 'manifest' in pkg && typeof pkg.manifest.main === 'string') {
      const main = await resolveMainModule(fs, pkg.manifest.main, cwd);
      if (main) result.scripts.push(main);
    }
  }
  result.preloads.push(...args.preloads);
  result.optionFiles.push(...args.optionFiles.map((f) => (f.startsWith('/') ? cleanPath(f) : cleanPath(joinPath(cwd, f)))));
  return result;
}

/** `npm start`, `npm run NAME`, `yarn NAME`: the package.json script, when it runs node. */
async function packageScriptArgs(fs: RootFs, words: readonly string[], cwd: string, result: NodeEntry): Promise<NodeArgs> {
  const none: NodeArgs = { preloads: [], optionFiles: [], evaluates: false };
  const positional = words.filter((w) => !w.startsWith('-'));
  let name = positional[0];
  if (name === 'run' || name === 'run-script') name = positional[1];
  if (name === undefined) return none;
  const pkg = await readPackageJson(fs, cwd);
  const manifest = pkg && 'manifest' in pkg ? pkg.manifest : undefined;
  const command = manifest?.scripts?.[name] ?? (name === 'start' ? 'node server.js' : undefined);
  if (command === undefined) {
    result.notes.push(`${result.tool?.name} ${name}: /${joinPath(cwd, 'package.json')} has no such script`);
    return none;
  }
  const argv = splitShellWords(command);
  // `cross-env A=1 node x`, `NODE_ENV=production node x`: the assignments come first.
  while (argv.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!)) argv.shift();
  if (argv.length === 0 || !NODE_NAME.test(basename(argv[0]!))) {
    result.notes.push(`${result.tool?.name} ${name} runs \`${command}\`; only node commands are traced, keep the rest with --keep`);
    return none;
  }
  return parseNodeArgs(argv.slice(1));
}
