import type { ContainerConfig, HistoryEntry, Image, ImageConfigFile, Layer } from '../image/model.js';
import type { RootFs } from '../rootfs/rootfs.js';
import { sha256Hex } from '../util/digest.js';
import type { Workspace } from '../util/workspace.js';
import type { KeepSet, LayerClass } from './keep-set.js';
import type { LayerPlan } from './layer-plan.js';
import { WrittenTarLayer } from './new-layer.js';
import { writeLayerTar, type RequiredDirectory } from './write-layer.js';

export const LAYER_TITLES: Record<LayerClass | 'base', string> = {
  base: 'distroless base',
  os: 'OS libraries and files',
  runtime: 'language runtime',
  deps: 'dependencies',
  app: 'application',
};

export interface SlimLayerInfo {
  layer: LayerClass | 'base' | 'reused';
  diffId: string;
  size: number;
  entries: number;
}

export interface BuildInput {
  source: Image;
  fs: RootFs;
  keep: KeepSet;
  plan: LayerPlan;
  /** The distroless base layer's paths, or a base image whose layers are reused, or nothing. */
  base: { kind: 'scratch' } | { kind: 'distroless'; paths: string[]; env: string[] } | { kind: 'image'; image: Image; ref: string };
  required: RequiredDirectory[];
  workspace: Workspace;
  /** Seconds since the epoch, for every entry and `created`. */
  mtime: number;
  sourceRef: string;
}

/** Config fields that carry over: what `docker run` needs to behave the same. */
const KEPT_CONFIG_FIELDS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'Shell'] as const;

/** Writes the planned layers and assembles the slimmed image (a pure step: nothing leaves the workspace). */
export async function buildSlimImage(input: BuildInput): Promise<{ image: Image; layers: SlimLayerInfo[] }> {
  const { source, fs, keep, plan, workspace, mtime } = input;
  const layers: Layer[] = [];
  const info: SlimLayerInfo[] = [];
  const history: HistoryEntry[] = [];
  const created = new Date(mtime * 1000).toISOString();
  let baseEnv: string[] = [];
  const write = async (cls: LayerClass | 'base', paths: string[]): Promise<void> => {
    const file = workspace.path(`slim-${layers.length}-${cls}.tar`);
    const written = await writeLayerTar(fs, keep, paths, file, { mtime, required: input.required });
    layers.push(await WrittenTarLayer.fromFile(file, written.diffId));
    info.push({ layer: cls, diffId: written.diffId, size: written.size, entries: written.entries });
    history.push({ created, created_by: `whittle: ${LAYER_TITLES[cls]} (${paths.length} paths)`, comment: 'whittle' });
  };
  if (input.base.kind === 'image') {
    for (const l of input.base.image.layers) {
      layers.push(l);
      info.push({ layer: 'reused', diffId: l.diffId, size: l.size, entries: 0 });
    }
    history.push(...(input.base.image.config.history ?? []).filter((h) => !h.empty_layer));
    baseEnv = input.base.image.config.config?.Env ?? [];
  } else if (input.base.kind === 'distroless') {
    await write('base', input.base.paths);
    baseEnv = input.base.env;
  }
  for (const planned of plan.layers) await write(planned.layer, planned.paths);

  const src = source.config.config ?? {};
  const config: ContainerConfig = {};
  for (const field of KEPT_CONFIG_FIELDS) {
    if (src[field] !== undefined && src[field] !== null) (config as Record<string, unknown>)[field] = src[field];
  }
  config.Env = mergeEnv(baseEnv, src.Env ?? []);
  config.Labels = {
    ...(src.Labels ?? {}),
    'io.whittle.source.digest': source.configDigest,
    'io.whittle.source.ref': input.sourceRef,
    'io.whittle.base': input.base.kind === 'image' ? input.base.ref : input.base.kind,
  };
  const imageConfig: ImageConfigFile = {
    architecture: source.config.architecture,
    os: source.config.os,
    ...(source.config.variant ? { variant: source.config.variant } : {}),
    created,
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history,
  };
  const rawConfig = Buffer.from(canonicalJson(imageConfig));
  const image: Image = {
    rawConfig,
    config: imageConfig,
    configDigest: sha256Hex(rawConfig),
    layers,
    repoTags: [],
    origin: `slimmed ${input.sourceRef}`,
    async close() {
      /* the workspace belongs to the caller */
    },
  };
  return { image, layers: info };
}

/** The image's own values win; keys only the base sets are added. */
function mergeEnv(base: readonly string[], own: readonly string[]): string[] {
  const ownKeys = new Set(own.map((kv) => kv.split('=')[0]));
  return [...own, ...base.filter((kv) => !ownKeys.has(kv.split('=')[0]))];
}

/** JSON with object keys sorted, so the same config gives the same digest. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
