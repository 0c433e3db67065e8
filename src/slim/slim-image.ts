import type { AnalysisContext } from '../analysers/analyser.js';
import { createElfAnalyser } from '../analysers/elf/elf-analyser.js';
import { envMap, resolveEntrypoint, type ProgramStep, type ResolvedEntrypoint } from '../analysers/entrypoint.js';
import { resolveImageUser, runEssentials } from '../analysers/essentials.js';
import { keepResolved } from '../analysers/keep-path.js';
import { runJavaAnalyser } from '../analysers/java/java-analyser.js';
import { runNodeAnalyser } from '../analysers/node/node-analyser.js';
import { runPythonAnalyser } from '../analysers/python/python-analyser.js';
import { applyProfileOverrides } from '../profiles/profile-overrides.js';
import { analyseScript } from '../analysers/shell-script.js';
import { UsageError } from '../errors.js';
import type { Image, Platform } from '../image/model.js';
import { detectProfile } from '../profiles/detect-profile.js';
import { loadBuiltinProfiles, loadProfile } from '../profiles/load-profile.js';
import type { Profile } from '../profiles/profile.js';
import { RootFs } from '../rootfs/rootfs.js';
import { openImage, writeImage } from '../transports/index.js';
import { Workspace } from '../util/workspace.js';
import { progress } from '../report/progress.js';
import { auditLines, writeAudit } from './audit.js';
import { buildSlimImage, type SlimLayerInfo } from './build-image.js';
import { planDistrolessBase } from './distroless-base.js';
import { KeepSet, type LayerClass } from './keep-set.js';
import { planLayers } from './layer-plan.js';
import { applyDropGlobs, applyKeepGlobs } from './profile-rules.js';
import type { RequiredDirectory } from './write-layer.js';

export interface SlimOptions {
  /** Source image reference (any transport). */
  source: string;
  /** Where to write (any transport); default the daemon under --tag or NAME:TAG-slim. */
  output?: string;
  tag?: string;
  /** 'auto', a built-in profile name, or a path to a profile file. */
  profile: string;
  /** Overrides the profile's base: 'scratch', 'distroless' or an image reference. */
  base?: string;
  keep: readonly string[];
  drop: readonly string[];
  /** Profile setting overrides: "node.dropSourceMaps=true". */
  settings?: readonly string[];
  /** Write the audit (JSON lines) here. */
  audit?: string;
  dryRun: boolean;
  platform?: Platform;
  /** Timestamp for every entry and the config: SOURCE_DATE_EPOCH, else 0. */
  mtime: number;
  warn(message: string): void;
}

export interface ImageSummary {
  reference: string;
  id: string;
  /** Bytes of the uncompressed layer tars. */
  size: number;
  files: number;
  layers: number;
}

export interface SlimResult {
  source: ImageSummary;
  output?: ImageSummary & { layerTable: SlimLayerInfo[] };
  profile: string;
  base: string;
  entrypoint: string[];
  program: string;
  plan: Array<{ layer: LayerClass | 'base'; files: number; bytes: number }>;
  /** Kept bytes per analyser or rule ('elf', 'essentials', 'profile', ...). */
  keptBytesBy: Record<string, number>;
  keptFiles: number;
  droppedFiles: number;
  warnings: string[];
  dryRun: boolean;
}

const TMP: RequiredDirectory = { path: 'tmp', mode: 0o1777, uid: 0, gid: 0 };

/** The main job: read, decide, write. The source image is only read. */
export async function slimImage(opts: SlimOptions): Promise<SlimResult> {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (!warnings.includes(m)) {
      warnings.push(m);
      opts.warn(m);
    }
  };
  // A mistyped --set fails before the image is read, not after.
  applyProfileOverrides(await loadProfile('base'), opts.settings ?? []);
  const source = await openImage(opts.source, { platform: opts.platform });
  const workspace = await Workspace.create();
  let fs: RootFs | undefined;
  let baseImage: Image | undefined;
  try {
    progress().begin('analysing', source.layers.reduce((n, l) => n + l.size, 0));
    fs = await RootFs.fromImage(source, (layer) => progress().advance(layer.size));
    progress().end();
    const containerConfig = source.config.config ?? {};
    const env = envMap(containerConfig.Env);
    const keep = new KeepSet();
    const ctx: AnalysisContext = { fs, config: source.config, env, keep, warn };

    const entry = await resolveEntrypoint(fs, containerConfig);
    const profile = applyProfileOverrides(await chooseProfile(opts.profile, entry), opts.settings ?? []);
    const cwd = containerConfig.WorkingDir || '/';
    await keepPrograms(ctx, entry, cwd);
    if (containerConfig.WorkingDir) keepResolved(ctx, containerConfig.WorkingDir, { by: 'config', why: 'WorkingDir of the image', layer: 'app' });
    await runRuntimeAnalysers(ctx, profile, { entry, cwd, architecture: source.config.architecture });
    for (const root of profile.roots) keepResolved(ctx, root, { by: 'profile', why: `profile ${profile.name} root` });
    const globMatches = applyKeepGlobs(fs, keep, [
      ...profile.keep.map((glob, i) => ({ glob, source: `profile ${profile.name} keep[${i}]` })),
      ...opts.keep.map((glob) => ({ glob, source: '--keep' })),
    ]);
    for (const g of opts.keep) if (globMatches.get(g) === 0) warn(`--keep ${g} matched nothing in the image`);
    const user = await resolveImageUser(fs, containerConfig.User ?? '');
    if (profile.analysers.includes('essentials')) await runEssentials(ctx, profile.essentials, user);
    if (profile.analysers.includes('elf')) {
      const files = keep.paths().filter((p) => fs!.lstat(p)?.type === 'file');
      await createElfAnalyser({ glibcRuntime: profile.essentials.glibcRuntime, gconv: profile.essentials.gconv }).run(ctx, files);
    }
    const baseName = opts.base ?? profile.base;
    const required: RequiredDirectory[] = [TMP];
    let basePlan: { paths: string[]; env: string[] } | undefined;
    if (baseName === 'distroless') {
      const b = planDistrolessBase(fs, keep);
      basePlan = { paths: b.paths, env: b.env };
      required.push(...b.required.filter((r) => r.path !== 'tmp'));
    } else if (baseName !== 'scratch') {
      baseImage = await openImage(baseName, { platform: opts.platform });
    }
    // Drops come last, so they win over the base's files too (tzdata, for one).
    const dropped = applyDropGlobs(keep, [
      ...profile.drop.map((glob, i) => ({ glob, source: `profile ${profile.name} drop[${i}]` })),
      ...opts.drop.map((glob) => ({ glob, source: '--drop' })),
    ]);

    if (basePlan) basePlan.paths = basePlan.paths.filter((p) => keep.has(p));
    const plan = planLayers(fs, keep, profile.layers, new Set(basePlan?.paths ?? []));
    const layerOf = new Map<string, LayerClass | 'base'>(plan.layerOf);
    for (const p of basePlan?.paths ?? []) layerOf.set(p, 'base');

    const keptBytesBy: Record<string, number> = {};
    for (const path of keep.paths()) {
      const by = keep.reasonsFor(path)[0]?.by ?? '?';
      const e = fs.lstat(path);
      keptBytesBy[by] = (keptBytesBy[by] ?? 0) + (keep.generatedContent(path)?.content.length ?? (e?.type === 'file' ? e.size : 0));
    }
    const sourceSummary = await summarize(source, fs, opts.source);
    const result: SlimResult = {
      source: sourceSummary,
      profile: profile.name,
      base: baseName,
      entrypoint: entry.argv,
      program: `/${entry.program.path}`,
      plan: [
        ...(basePlan ? [{ layer: 'base' as const, files: basePlan.paths.length, bytes: basePlan.paths.reduce((n, p) => n + (keep.generatedContent(p)?.content.length ?? fs!.lstat(p)?.size ?? 0), 0) }] : []),
        ...plan.layers.map((l) => ({ layer: l.layer, files: l.files, bytes: l.bytes })),
      ],
      keptBytesBy,
      keptFiles: keep.paths().filter((p) => fs!.lstat(p)?.type !== 'dir').length,
      droppedFiles: [...fs.walk()].filter((e) => e.type !== 'dir' && !keep.has(e.path)).length,
      warnings,
      dryRun: opts.dryRun,
    };
    if (opts.audit) await writeAudit(opts.audit, auditLines(fs, keep, dropped, layerOf));
    if (opts.dryRun) return result;

    progress().begin('writing', result.plan.reduce((n, l) => n + l.bytes, 0));
    const built = await buildSlimImage({
      source,
      fs,
      keep,
      plan,
      base: baseImage ? { kind: 'image', image: baseImage, ref: baseName } : basePlan ? { kind: 'distroless', ...basePlan } : { kind: 'scratch' },
      required,
      workspace,
      mtime: opts.mtime,
      sourceRef: opts.source,
    });
    progress().end();
    const { image, layers } = built;
    const tag = opts.tag ?? defaultTag(source);
    if (source.repoTags.includes(tag) || source.repoTags.includes(`${tag}:latest`)) {
      throw new UsageError(`the output tag ${tag} is the source image's own tag; whittle never replaces the source (choose another --tag)`);
    }
    const written = await writeImage(image, opts.output ?? `docker-daemon:${tag}`, { tag });
    const outFs = await RootFs.fromImage(image);
    try {
      result.output = { ...(await summarize(image, outFs, written.reference)), id: written.imageId, layerTable: layers };
    } finally {
      await outFs.close();
    }
    return result;
  } finally {
    await fs?.close();
    await baseImage?.close();
    await source.close();
    await workspace.close();
  }
}

/** The language-runtime analysers the profile names; each does nothing when its runtime is not the entrypoint's. */
async function runRuntimeAnalysers(ctx: AnalysisContext, profile: Profile, at: { entry: ResolvedEntrypoint; cwd: string; architecture: string }): Promise<void> {
  if (profile.analysers.includes('node')) await runNodeAnalyser(ctx, { ...at, settings: profile.node });
  if (profile.analysers.includes('python')) await runPythonAnalyser(ctx, { ...at, settings: profile.python });
  if (profile.analysers.includes('java')) await runJavaAnalyser(ctx, { ...at, settings: profile.java });
}

async function chooseProfile(name: string, entry: ResolvedEntrypoint): Promise<Profile> {
  if (name !== 'auto') return loadProfile(name);
  return detectProfile(entry, await loadBuiltinProfiles()) ?? loadProfile('base');
}

/** The entrypoint chain, the commands its scripts run (and theirs), and the CMD program of a wrapper script. */
async function keepPrograms(ctx: AnalysisContext, entry: ResolvedEntrypoint, cwd: string): Promise<void> {
  const keepStep = (step: ProgramStep, why: string): void => {
    for (const link of step.symlinks) ctx.keep.add(link, { by: 'entrypoint', why: `symlink to /${step.path}; ${why}` });
    ctx.keep.add(step.path, { by: 'entrypoint', why });
  };
  entry.chain.forEach((step, i) => keepStep(step, i === 0 ? `entrypoint ${JSON.stringify(entry.argv[0])}` : `interpreter of /${entry.chain[i - 1]!.path}`));
  const scripts: Array<{ path?: string; inline?: string }> = [];
  if (entry.inlineScript !== undefined) scripts.push({ inline: entry.inlineScript });
  for (const step of entry.chain) if (isShellScript(step)) scripts.push({ path: step.path });
  for (const prog of entry.cmdPrograms) {
    keepStep(prog, `named in CMD, which the entrypoint script may run`);
    if (isShellScript(prog)) scripts.push({ path: prog.path });
  }
  const done = new Set<string>();
  for (let i = 0; i < scripts.length && i < 64; i++) {
    const s = scripts[i]!;
    if (s.path) {
      if (done.has(s.path)) continue;
      done.add(s.path);
    }
    const analysis = await analyseScript(ctx.fs, s.path, s.inline, ctx.env, cwd);
    const where = s.path ? `/${s.path}` : 'the sh -c command';
    for (const p of analysis.sourcedFiles) ctx.keep.add(p, { by: 'shell', why: `sourced by ${where}` });
    for (const prog of analysis.programs) {
      for (const link of prog.symlinks) ctx.keep.add(link, { by: 'shell', why: `symlink to /${prog.path}; command ${prog.name} run by ${prog.script}` });
      ctx.keep.add(prog.path, { by: 'shell', why: `command ${prog.name} run by ${prog.script}` });
      const head = await ctx.fs.readContent(ctx.fs.stat(prog.path)!, 0, 2);
      if (head.toString('latin1') === '#!') {
        const sub = await resolveEntrypoint(ctx.fs, { Entrypoint: [`/${prog.path}`] }).catch(() => undefined);
        for (const step of sub?.chain.slice(1) ?? []) keepStep(step, `interpreter of /${prog.path}`);
        if (sub && isShellScript(sub.chain[0]!)) scripts.push({ path: prog.path });
      }
    }
    for (const nf of analysis.notFound) ctx.warn(`command ${nf.name} run by ${nf.script} is not in the image`);
  }
}

const SHELLS = /^(sh|bash|dash|ash|zsh|ksh|mksh|busybox)$/;

/** A script the shell analyser can read: its #! names a shell (directly or through env). Python or node scripts are not. */
function isShellScript(step: ProgramStep): boolean {
  if (step.kind !== 'script' || !step.shebang?.length) return false;
  const [interp, ...args] = step.shebang;
  const name = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  if (name(interp!) === 'env') {
    const prog = args.find((a) => !a.startsWith('-') && !a.includes('='));
    return prog !== undefined && SHELLS.test(name(prog));
  }
  return SHELLS.test(name(interp!));
}

function defaultTag(image: Image): string {
  const tag = image.repoTags.find((t) => !t.startsWith('sha256:'));
  if (!tag) return `whittle-slim:${image.configDigest.slice(7, 19)}`;
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > slash ? `${tag}-slim` : `${tag}:latest-slim`;
}

async function summarize(image: Image, fs: RootFs, reference: string): Promise<ImageSummary> {
  let size = 0;
  for (const l of image.layers) size += (await l.tar()).size;
  let files = 0;
  for (const e of fs.walk()) if (e.type !== 'dir') files++;
  return { reference, id: image.configDigest, size, files, layers: image.layers.length };
}
