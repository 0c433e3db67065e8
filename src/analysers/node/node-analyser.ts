import type { FsEntry } from '../../rootfs/rootfs.js';
import { basename, cleanPath, joinPath } from '../../rootfs/paths.js';
import type { AnalysisContext } from '../analyser.js';
import type { ResolvedEntrypoint } from '../entrypoint.js';
import { keepResolved, keepTree } from '../keep-path.js';
import { findProgram } from '../entrypoint.js';
import { isProductionPackage, parseLockfile, type Lockfile } from './lockfile.js';
import { neverRunsReason, nodeArch, protectedMatchers, type NodeSettings } from './never-runs.js';
import { findNodeEntry, packageRootOf, resolveMainModule } from './node-entry.js';
import { findPackageFolder } from './node-resolve.js';
import { traceWithNft } from './node-trace.js';
import { readPackageJson, runtimeDependencyNames, type PackageManifest } from './package-json.js';
import type { LayerClass } from '../../slim/keep-set.js';

export interface NodeAnalysisInput {
  entry: ResolvedEntrypoint;
  /** The image's WorkingDir (absolute), "/" when unset. */
  cwd: string;
  settings: NodeSettings;
  /** The image's architecture in Go's words (amd64, arm64). */
  architecture: string;
}

const LOCKFILES = ['node_modules/.package-lock.json', 'npm-shrinkwrap.json', 'package-lock.json'];

/**
 * Keeps what a Node program loads: its entry script's package (the app), the app's production
 * dependencies (from the lockfile, else by resolving `dependencies` as Node does), and the
 * package manager when the entrypoint is `npm start`. Files Node never loads are left out with
 * a reason. Native addons are kept as files; the ELF analyser then adds their libraries.
 */
export async function runNodeAnalyser(ctx: AnalysisContext, input: NodeAnalysisInput): Promise<void> {
  const ne = await findNodeEntry(ctx.fs, input.entry, input.cwd);
  if (!ne) return;
  for (const n of ne.notes) ctx.warn(n);
  const analysis = new NodeAnalysis(ctx, input.settings, nodeArch(input.architecture));
  if (ne.tool) {
    // npm runs package scripts through sh -c.
    const sh = findProgram(ctx.fs, 'sh', ctx.env, '/');
    if (sh) keepResolved(ctx, `/${sh.path}`, { by: 'node', why: `${ne.tool.name} runs package scripts with sh -c`, layer: 'os' });
    await analysis.keepPackageTree(ne.tool.packageDir, `${ne.tool.name}, run by the entrypoint`, 'runtime');
  }
  if (input.settings.trace && ne.scripts.length > 0 && (await keepTraced(ctx, ne.scripts, ne.cwd))) return;
  const roots = new Set<string>();
  for (const script of ne.scripts) {
    keepResolved(ctx, script, { by: 'node', why: 'the script node runs', layer: 'app' });
    const root = packageRootOf(ctx.fs, ctx.fs.resolve(script).path);
    if (root !== undefined) roots.add(root);
  }
  if (roots.size === 0 && ne.tool && ctx.fs.stat(joinPath(ne.cwd, 'package.json'))) roots.add(ctx.fs.resolve(ne.cwd).path);
  if (roots.size === 0 && ne.scripts.length > 0) {
    // A script outside any package: its folder is the app, and node_modules beside it is kept whole.
    for (const s of ne.scripts) {
      const dir = ctx.fs.resolve(s).path.split('/').slice(0, -1).join('/');
      // A script in a system folder (/usr/local/bin) is kept alone, never its whole folder.
      if (/^(|bin|sbin|usr|etc|opt|srv|home|root|tmp|var)$|(^|\/)(s?bin)$/.test(dir)) continue;
      await analysis.keepAppFolder(dir, undefined);
      if (ctx.fs.stat(joinPath(dir, 'node_modules'))?.type === 'dir') await analysis.keepPackageTree(joinPath(dir, 'node_modules'), 'node_modules beside a script with no package.json', 'deps');
    }
  }
  for (const f of ne.optionFiles) keepResolved(ctx, f, { by: 'node', why: 'named by a node option', layer: 'app' });
  for (const root of roots) {
    if (root.split('/').includes('node_modules')) {
      await analysis.keepPackageClosure(root, 'runtime');
      continue;
    }
    const pkg = await readPackageJson(ctx.fs, root);
    if (pkg && 'error' in pkg) ctx.warn(pkg.error);
    const manifest = pkg && 'manifest' in pkg ? pkg.manifest : {};
    await analysis.keepAppFolder(root, manifest);
    await analysis.keepProductionDependencies(root, manifest, ctx.env.get('NODE_PATH')?.split(':').filter(Boolean) ?? []);
  }
  for (const spec of ne.preloads) {
    const asPath = spec.startsWith('.') || spec.startsWith('/') ? await resolveMainModule(ctx.fs, spec, ne.cwd) : undefined;
    if (asPath) keepResolved(ctx, asPath, { by: 'node', why: `preloaded by node -r/--import ${spec}`, layer: 'app' });
    else if (!spec.startsWith('node:')) {
      const found = findPackageFolder(ctx.fs, ne.cwd, spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
      if (found) await analysis.keepPackageClosure(found.path, 'deps');
      else ctx.warn(`node preloads ${spec}, which cannot be found from /${ne.cwd}`);
    }
  }
}

/**
 * node.trace: only the files @vercel/nft reaches from the scripts, each with nft's reason; the
 * rest of node_modules is left out with a reason. Falls back to whole packages when nft fails.
 */
async function keepTraced(ctx: AnalysisContext, scripts: readonly string[], cwd: string): Promise<boolean> {
  let traced;
  try {
    traced = await traceWithNft(ctx.fs, scripts, cwd);
  } catch (err) {
    ctx.warn(`node: @vercel/nft could not trace ${scripts.map((s) => `/${s}`).join(', ')} (${(err as Error).message}); keeping whole packages instead`);
    return false;
  }
  const roots = new Set<string>();
  for (const t of traced) {
    const layer: LayerClass = t.path.split('/').includes('node_modules') ? 'deps' : 'app';
    keepResolved(ctx, t.path, { by: 'node', why: `nft: ${t.types.join(', ') || 'traced'}${t.parent ? ` from /${t.parent}` : ''}`, layer });
    const root = packageRootOf(ctx.fs, t.path);
    if (root !== undefined && !root.split('/').includes('node_modules')) roots.add(root);
  }
  // Addons are loaded from computed paths (bindings, node-gyp-build), which a tracer misses.
  const packages = new Set(traced.map((t) => packageRootOf(ctx.fs, t.path)).filter((p): p is string => p !== undefined && p.split('/').includes('node_modules')));
  for (const pkg of packages) {
    for (const e of ctx.fs.walk(pkg)) {
      const rel = e.path.slice(pkg.length + 1);
      if (e.type === 'file' && /^(build\/Release|prebuilds\/linux-[^/]+)\/[^/]+\.node$/.test(rel)) {
        keepResolved(ctx, e.path, { by: 'node', why: `native addon of /${pkg}, which the trace reached`, layer: 'deps' });
      }
    }
  }
  for (const root of roots) {
    for (const e of ctx.fs.walk(joinPath(root, 'node_modules'))) {
      if (!ctx.keep.has(e.path)) ctx.keep.decline(e.path, 'node: not reached by the @vercel/nft trace (node.trace)');
    }
  }
  return true;
}

/** The state of one run: packages already kept, so each is walked once. */
class NodeAnalysis {
  private readonly keptPackages = new Set<string>();

  constructor(
    private readonly ctx: AnalysisContext,
    private readonly settings: NodeSettings,
    private readonly arch: string,
  ) {}

  /** The app's own folder: every file but node_modules and what never runs. */
  async keepAppFolder(dir: string, manifest: PackageManifest | undefined): Promise<void> {
    keepResolved(this.ctx, dir, { by: 'node', why: 'the app folder', layer: 'app' });
    await this.keepPackageFiles(dir, manifest ?? {}, 'app file', 'app');
  }

  /** A whole folder as it is (a package manager such as npm, with its bundled modules). */
  async keepPackageTree(dir: string, why: string, layer: LayerClass): Promise<void> {
    keepTree(this.ctx, dir, { by: 'node', why, layer });
  }

  /** The app's production dependencies: the lockfile's non-dev packages, plus what Node resolves. */
  async keepProductionDependencies(root: string, manifest: PackageManifest, nodePath: readonly string[]): Promise<void> {
    const lock = await this.readLockfile(root);
    const devFolders: string[] = [];
    if (lock) {
      for (const p of lock.lockfile.packages) {
        const folder = joinPath(root, p.path);
        if (!isProductionPackage(p)) {
          devFolders.push(folder);
          continue;
        }
        const r = this.ctx.fs.resolve(folder);
        // Optional packages for other platforms are in the lockfile but not installed.
        if (!r.entry) continue;
        if (p.linkTo !== undefined) {
          keepResolved(this.ctx, folder, { by: 'node', why: `workspace link in ${lock.file}`, layer: 'deps' });
        }
        await this.keepPackage(r.path, `production dependency in ${lock.file}`);
      }
    }
    // Resolving the declared dependencies as Node does covers installs without a lockfile (yarn,
    // pnpm) and packages a stale lockfile misses; what the lockfile calls dev stays out.
    const devSet = new Set(devFolders.map((f) => this.ctx.fs.resolve(f).path));
    const queue: Array<{ dir: string; manifest: PackageManifest; name: string }> = [{ dir: root, manifest, name: '/' + root }];
    const seen = new Set<string>([root]);
    while (queue.length > 0) {
      const { dir, manifest: m, name } = queue.shift()!;
      for (const dep of runtimeDependencyNames(m)) {
        const found = findPackageFolder(this.ctx.fs, dir, dep, nodePath);
        if (!found) {
          if (!(dep in (m.optionalDependencies ?? {})) && !(dep in (m.peerDependencies ?? {}))) this.ctx.warn(`node: ${dep}, a dependency of ${name}, is not installed`);
          continue;
        }
        if (devSet.has(found.path)) continue;
        // Every way in is kept, not only the first: pnpm gives each dependant its own symlink.
        for (const link of found.symlinks) this.ctx.keep.add(link, { by: 'node', why: `symlink to /${found.path} (dependency ${dep} of ${name})`, layer: 'deps' });
        if (seen.has(found.path)) continue;
        seen.add(found.path);
        await this.keepPackage(found.path, `dependency ${dep} of ${name}`);
        const pkg = await readPackageJson(this.ctx.fs, found.path);
        if (pkg && 'manifest' in pkg) queue.push({ dir: found.path, manifest: pkg.manifest, name: dep });
      }
    }
    this.declineRest(root, devSet, lock?.file);
  }

  /** A package inside node_modules that is itself a root (a preload): it and its dependencies. */
  async keepPackageClosure(dir: string, layer: LayerClass): Promise<void> {
    const pkg = await readPackageJson(this.ctx.fs, dir);
    const manifest = pkg && 'manifest' in pkg ? pkg.manifest : {};
    await this.keepPackageFiles(dir, manifest, 'file of a package the entrypoint loads', layer);
    await this.keepProductionDependencies(dir, manifest, []);
  }

  private async keepPackage(dir: string, why: string): Promise<void> {
    if (this.keptPackages.has(dir)) return;
    this.keptPackages.add(dir);
    const pkg = await readPackageJson(this.ctx.fs, dir);
    if (pkg && 'error' in pkg) this.ctx.warn(pkg.error);
    this.ctx.keep.add(dir, { by: 'node', why, layer: 'deps' });
    await this.keepPackageFiles(dir, pkg && 'manifest' in pkg ? pkg.manifest : {}, why, 'deps');
  }

  /** Every file of one package folder, not descending into its node_modules (other packages). */
  private async keepPackageFiles(dir: string, manifest: PackageManifest, why: string, layer: LayerClass): Promise<void> {
    const protectedFiles = protectedMatchers(manifest);
    // Returns how many entries below were kept, so a pruned folder (docs/) goes only when empty.
    const visit = (folder: string, rel: string): number => {
      const entries = this.ctx.fs.list(folder);
      const names = new Set(entries.map((e) => basename(e.path)));
      let kept = 0;
      for (const e of entries) {
        const name = basename(e.path);
        const relPath = rel ? `${rel}/${name}` : name;
        if (e.type === 'dir' && name === 'node_modules') continue;
        const reason = this.settings.pruneFiles ? neverRunsReason(relPath, e.type === 'dir', names, this.settings, this.arch) : undefined;
        if (e.type === 'dir') {
          const below = visit(e.path, relPath);
          if (below === 0 && reason !== undefined) {
            this.ctx.keep.decline(e.path, `node: ${reason}`);
            continue;
          }
          this.ctx.keep.add(e.path, { by: 'node', why, layer });
          kept += below + 1;
          continue;
        }
        if (reason !== undefined && !protectedFiles.some((m) => m.match(relPath))) {
          this.ctx.keep.decline(e.path, `node: ${reason}`);
          continue;
        }
        if (e.type === 'symlink') keepResolved(this.ctx, e.path, { by: 'node', why, layer });
        else this.ctx.keep.add(e.path, { by: 'node', why, layer });
        kept++;
      }
      return kept;
    };
    visit(dir, '');
  }

  private async readLockfile(root: string): Promise<{ lockfile: Lockfile; file: string } | undefined> {
    for (const name of LOCKFILES) {
      const path = joinPath(root, name);
      if (this.ctx.fs.stat(path)?.type !== 'file') continue;
      try {
        return { lockfile: parseLockfile((await this.ctx.fs.readFile(path)).toString('utf8'), `/${path}`), file: `/${path}` };
      } catch (err) {
        this.ctx.warn(`node: ${(err as Error).message}; resolving dependencies from package.json instead`);
      }
    }
    return undefined;
  }

  /** Says in the audit why the rest of node_modules is not there. */
  private declineRest(root: string, devFolders: ReadonlySet<string>, lockfile: string | undefined): void {
    const modules = joinPath(root, 'node_modules');
    if (this.ctx.fs.lstat(modules)?.type !== 'dir') return;
    const devOf = (path: string): boolean => {
      for (let p = path; p.length > modules.length; p = p.slice(0, p.lastIndexOf('/'))) if (devFolders.has(p)) return true;
      return false;
    };
    for (const e of this.ctx.fs.walk(modules) as Iterable<FsEntry>) {
      if (this.ctx.keep.has(e.path)) continue;
      this.ctx.keep.decline(e.path, devOf(e.path) ? `node: devDependency (${lockfile} marks it dev)` : `node: not a production dependency of /${cleanPath(root)}`);
    }
  }
}
