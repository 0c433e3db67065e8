import { Minimatch } from 'minimatch';
import type { PackageManifest } from './package-json.js';

/** Settings of the Node analyser that a profile (or --set node.KEY=VALUE) can change. */
export interface NodeSettings {
  /** Leave out files Node never loads (docs, type declarations, native build leftovers). */
  pruneFiles: boolean;
  /** Also leave out source maps (*.map); they matter only with --enable-source-maps. */
  dropSourceMaps: boolean;
  /** Keep only what @vercel/nft traces from the entry script instead of whole packages. */
  trace: boolean;
}

export const DEFAULT_NODE_SETTINGS: NodeSettings = { pruneFiles: true, dropSourceMaps: false, trace: false };

const DOC_FILE = /^(readme|changelog|changes|history|authors|contributors|contributing|code_of_conduct|upgrading|migrating|release[-_]notes)(\.(md|markdown|txt|rst|adoc))?$/i;
const MARKDOWN = /\.(md|markdown)$/i;
const TYPE_DECLARATION = /\.d\.(ts|mts|cts)$/;
const TS_SOURCE = /\.(ts|mts|cts|tsx)$/;
const TOOL_CONFIG = /^(\.eslintrc.*|\.prettierrc.*|\.editorconfig|\.travis\.yml|\.npmignore|\.gitignore|\.gitattributes|\.jshintrc|\.nycrc.*|\.airtap\.yml|\.taprc|tsconfig\..*tsbuildinfo|.*\.tsbuildinfo)$/;
const NATIVE_SOURCE = /\.(c|cc|cpp|cxx|h|hh|hpp|hxx|o|obj|a|gyp|gypi|mk)$/;
const TOP_LEVEL_DIRS = new Set(['doc', 'docs', '.github', 'example', 'examples', 'test', 'tests', '__tests__', 'benchmark', 'benchmarks', 'coverage', '.nyc_output']);

/** node-gyp-build and prebuild name folders `<platform>-<arch>`; Node's arch names. */
export function nodeArch(goArch: string): string {
  return ({ amd64: 'x64', arm64: 'arm64', arm: 'arm', '386': 'ia32', ppc64le: 'ppc64', s390x: 's390x' } as Record<string, string>)[goArch] ?? goArch;
}

/**
 * Why a file of a package is never loaded by Node, or undefined when it may be. `rel` is the
 * path inside the package; `siblings` are the names in the same folder.
 */
export function neverRunsReason(rel: string, isDir: boolean, siblings: ReadonlySet<string>, settings: NodeSettings, arch: string): string | undefined {
  const parts = rel.split('/');
  const name = parts[parts.length - 1]!;
  if (TOP_LEVEL_DIRS.has(parts[0]!) && parts.length > (isDir ? 0 : 1)) return `${parts[0]}/ of a package (documentation, examples or tests; never loaded)`;
  if (parts[0] === 'prebuilds' && parts.length > 1 && !parts[1]!.startsWith(`linux-${arch}`)) return `prebuilt addon for ${parts[1]}, not linux-${arch}`;
  if (parts[0] === 'build' && parts.some((p) => p === 'obj' || p === 'obj.target' || p === '.deps')) return 'intermediate native build output';
  if (isDir) return undefined;
  if (DOC_FILE.test(name) || MARKDOWN.test(name)) return 'documentation (never loaded)';
  if (TYPE_DECLARATION.test(name)) return 'TypeScript declaration (types only, never loaded)';
  if (TS_SOURCE.test(name)) {
    const stem = name.replace(TS_SOURCE, '');
    if (['.js', '.mjs', '.cjs'].some((ext) => siblings.has(`${stem}${ext}`))) return 'TypeScript source beside its compiled .js';
  }
  if (TOOL_CONFIG.test(name)) return 'development tool configuration';
  if (NATIVE_SOURCE.test(name) || name === 'Makefile' || name === 'binding.gyp') return 'C/C++ source, object or build file of a native addon (Node loads only the .node)';
  if (settings.dropSourceMaps && name.endsWith('.map')) return 'source map (dropped by node.dropSourceMaps)';
  return undefined;
}

/**
 * Files a package names as its interface: `main`, every `exports` target, `bin`, and file or
 * entries of `files` that name one file. These are never left out. (A folder or glob in `files`
 * does not protect all it matches, or nothing inside most packages could be pruned.)
 */
export function protectedMatchers(m: PackageManifest): Minimatch[] {
  const globs = new Set<string>();
  const add = (p: string): void => {
    let g = p.replace(/^\.\//, '').replace(/\/$/, '');
    if (g === '' || g === '.') return;
    g = g.replace(/\*/g, '**');
    globs.add(g);
    // `main: "lib/index"` also means lib/index.js, lib/index.json, lib/index/index.js.
    globs.add(`${g}.{js,json,node,cjs,mjs}`);
    globs.add(`${g}/index.{js,json,node,cjs,mjs}`);
  };
  if (typeof m.main === 'string') add(m.main);
  const visit = (v: unknown): void => {
    if (typeof v === 'string') add(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(m.exports);
  if (typeof m.bin === 'string') add(m.bin);
  else if (m.bin && typeof m.bin === 'object') Object.values(m.bin).forEach(visit);
  // Only files `files` names one by one: its globs and folders list what npm publishes, not what runs.
  for (const f of m.files ?? []) if (typeof f === 'string' && !/[*?[{]/.test(f) && !f.endsWith('/')) globs.add(f.replace(/^\.\//, ''));
  return [...globs].map((g) => new Minimatch(g, { dot: true }));
}
