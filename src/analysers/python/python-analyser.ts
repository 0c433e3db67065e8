import { Minimatch } from 'minimatch';
import { basename, cleanPath, dirname, joinPath } from '../../rootfs/paths.js';
import type { AnalysisContext, KeepReason } from '../analyser.js';
import type { ResolvedEntrypoint } from '../entrypoint.js';
import { keepResolved, keepTreeExcept } from '../keep-path.js';
import { findPythonEntry, type PythonEntry } from './python-entry.js';
import type { PythonSettings } from './python-settings.js';

export interface PythonAnalysisInput {
  entry: ResolvedEntrypoint;
  cwd: string;
  settings: PythonSettings;
}

/** Top-level names of site folders that belong to pip, setuptools or wheel. */
const PACKAGING_TOOL = /^(pip|setuptools|wheel|pkg_resources|_distutils_hack|distutils-precedence\.pth)([-_.].*)?$/;
/** Folders an app never lives in: a script there is a console script, its app is the working directory. */
const SYSTEM_DIRS = /^(|bin|sbin|lib|lib64|usr|usr\/[^/]+|usr\/local\/[^/]+|etc|var|home|tmp|proc|sys|dev)$/;

function toolOf(topName: string): string {
  const m = /^(pip|wheel)([-_.]|$)/.exec(topName);
  return m ? m[1]! : 'setuptools';
}

/**
 * Keeps what a Python program loads: the interpreter's standard library without the parts no
 * app needs, the installed distributions (without pip, setuptools and wheel unless something
 * imports them), the app's folder, and a venv's pyvenv.cfg. C extensions are kept as files; the
 * ELF analyser adds their libraries.
 */
export async function runPythonAnalyser(ctx: AnalysisContext, input: PythonAnalysisInput): Promise<void> {
  const pe = findPythonEntry(ctx.fs, input.entry, input.cwd);
  if (!pe) return;
  const { settings } = input;
  const stdlib = joinPath(pe.prefix, `lib/python${pe.version}`);
  const excluded = settings.stdlibExclude.map((g) => new Minimatch(g, { dot: true }));
  const bytecode = (rel: string): string | undefined =>
    settings.dropBytecode && (basename(rel) === '__pycache__' || rel.endsWith('.pyc')) ? 'python: bytecode (python.dropBytecode)' : undefined;
  const siteDirs = siteFolders(ctx, pe, pe.venv ? await venvIncludesSystemSite(ctx, pe.venv) : true);

  keepTreeExcept(ctx, stdlib, { by: 'python', why: `standard library of python${pe.version}`, layer: 'runtime' }, (rel) => {
    if (siteDirs.has(joinPath(stdlib, rel))) return 'python: a site folder, kept per package below';
    if (excluded.some((m) => m.match(rel))) return `python: ${rel} is not needed to run an app (python.stdlibExclude)`;
    return bytecode(rel);
  });
  // Debian's sitecustomize.py links into /etc/pythonX.Y.
  if (ctx.fs.stat(`etc/python${pe.version}`)?.type === 'dir') keepTreeExcept(ctx, `etc/python${pe.version}`, { by: 'python', why: `configuration of python${pe.version}`, layer: 'runtime' }, () => undefined);

  const importsTools = settings.dropPackagingTools ? await packagingToolsImported(ctx, [...siteDirs], appFolder(ctx, pe)) : new Set<string>();
  for (const dir of siteDirs) {
    keepTreeExcept(ctx, dir, { by: 'python', why: `installed package in /${dir}`, layer: 'deps' }, (rel) => {
      const top = rel.split('/')[0]!;
      if (settings.dropPackagingTools && PACKAGING_TOOL.test(top) && !importsTools.has(toolOf(top))) {
        return `python: ${toolOf(top)} installs packages and nothing imports it (python.dropPackagingTools)`;
      }
      const parts = rel.split('/');
      if (settings.dropPackageTests && parts.length > 1 && parts.at(-1) === 'tests') return "python: a package's own test suite (python.dropPackageTests)";
      return bytecode(rel);
    });
  }
  if (pe.venv) {
    const why: KeepReason = { by: 'python', why: 'the virtual environment python runs in', layer: 'deps' };
    keepResolved(ctx, joinPath(pe.venv, 'pyvenv.cfg'), why);
    for (const e of ctx.fs.list(joinPath(pe.venv, 'bin'))) if (/^python/.test(basename(e.path))) keepResolved(ctx, e.path, why);
  }
  if (pe.script) {
    if (!keepResolved(ctx, pe.script, { by: 'python', why: 'the script python runs', layer: 'app' })) ctx.warn(`python runs /${pe.script}, which is not in the image`);
  }
  const app = appFolder(ctx, pe);
  if (app !== undefined) {
    keepTreeExcept(ctx, app, { by: 'python', why: 'the app folder', layer: 'app' }, (rel) => (basename(rel) === '.git' ? 'python: version control data' : bytecode(rel)));
  } else if (pe.module) {
    ctx.warn(`python -m ${pe.module}: no app folder found (WorkingDir is /); keep it with --keep`);
  }
}

/** Where Python looks for installed packages in this image, as site.py (and Debian's patch) says. */
function siteFolders(ctx: AnalysisContext, pe: PythonEntry, systemSite: boolean): Set<string> {
  const v = pe.version;
  const major = v.split('.')[0]!;
  const system = [
    `${pe.prefix}/lib/python${v}/site-packages`,
    `${pe.prefix}/lib/python${v}/dist-packages`,
    `${pe.prefix}/lib/python${major}/dist-packages`,
    `${pe.prefix}/local/lib/python${v}/dist-packages`,
    `${pe.prefix}/local/lib/python${v}/site-packages`,
  ];
  const candidates = [
    ...(systemSite ? system : []),
    ...(pe.venv ? [`${pe.venv}/lib/python${v}/site-packages`] : []),
    ...(ctx.env.get('PYTHONPATH') ?? '').split(':').filter(Boolean),
    // `pip install --user` in the image: the user site of root and of the home folders.
    `root/.local/lib/python${v}/site-packages`,
    ...ctx.fs.list('home').map((h) => `${h.path}/.local/lib/python${v}/site-packages`),
  ];
  const out = new Set<string>();
  for (const c of candidates) {
    const r = ctx.fs.resolve(cleanPath(c));
    if (r.entry?.type === 'dir') out.add(r.path);
  }
  return out;
}

/** A venv sees the system's packages only with include-system-site-packages = true. */
async function venvIncludesSystemSite(ctx: AnalysisContext, venv: string): Promise<boolean> {
  const cfg = (await ctx.fs.readFile(joinPath(venv, 'pyvenv.cfg'))).toString('utf8');
  return /^\s*include-system-site-packages\s*=\s*true\s*$/im.test(cfg);
}

/** The app's folder: the script's, unless the script is a console script in a bin folder; else WorkingDir. */
function appFolder(ctx: AnalysisContext, pe: PythonEntry): string | undefined {
  const scriptDir = pe.script ? dirname(ctx.fs.resolve(pe.script).path) : undefined;
  const isSystem = (d: string): boolean => SYSTEM_DIRS.test(d) || /(^|\/)(bin|site-packages|dist-packages)$/.test(d) || d.startsWith(`${pe.prefix}/lib/`);
  if (scriptDir !== undefined && !isSystem(scriptDir)) return scriptDir;
  const cwd = ctx.fs.resolve(pe.cwd).path;
  return isSystem(cwd) ? undefined : cwd;
}

const TOOL_IMPORT = /^[ \t]*(?:import|from)[ \t]+(pkg_resources|setuptools|pip|wheel)\b/gm;

/** Which of pip, setuptools and wheel some installed package or the app imports. */
async function packagingToolsImported(ctx: AnalysisContext, siteDirs: readonly string[], app: string | undefined): Promise<Set<string>> {
  const found = new Set<string>();
  for (const dir of [...siteDirs, ...(app ? [app] : [])]) {
    for (const e of ctx.fs.walk(dir)) {
      if (e.type !== 'file' || !e.path.endsWith('.py')) continue;
      const top = e.path.slice(dir.length + 1).split('/')[0]!;
      if (PACKAGING_TOOL.test(top)) continue;
      for (const m of (await ctx.fs.readContent(e, 0, e.size)).toString('latin1').matchAll(TOOL_IMPORT)) found.add(m[1] === 'pkg_resources' ? 'setuptools' : m[1]!);
      if (found.size === 3) return found;
    }
  }
  return found;
}
