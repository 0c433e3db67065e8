import type { Image } from '../image/model.js';
import { formatPlatform, platformOf } from '../image/model.js';
import { normalizeMemberName } from '../rootfs/paths.js';
import { RootFs } from '../rootfs/rootfs.js';
import { readTarEntries } from '../tar/tar-reader.js';
import { fsTotals, largestDirectories, type DirectorySize, type FsTotals } from './directory-sizes.js';
import { EfficiencyCalculator, LayerTree, userWastedRatio, type Inefficiency } from './efficiency.js';
import { historyForLayers, LayerStats, type LayerInfo } from './layer-table.js';

export type { LayerInfo } from './layer-table.js';

/** Everything `whittle inspect` shows; also its --json document. */
export interface ImageReport {
  reference: string;
  /** The image ID: sha256 of the config. */
  id: string;
  platform: string;
  repoTags: string[];
  config: {
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    Env: string[];
    User: string;
    WorkingDir: string;
    ExposedPorts: string[];
    Labels: Record<string, string>;
  };
  layers: LayerInfo[];
  /** Sum of the layers' sizes as Docker counts them: equals `docker image inspect -f {{.Size}}`. */
  size: number;
  /** Sum of the regular-file bytes of every layer tar (deleted and overwritten files included). */
  contentBytes: number;
  /** The merged filesystem: entries that are not directories, directories, and file bytes. */
  fileCount: number;
  directoryCount: number;
  mergedBytes: number;
  /** dive's wasted bytes: cumulative size of every path that appears in two or more layers. */
  wastedBytes: number;
  /** dive's efficiency score, 0..1. */
  efficiency: number;
  /** Wasted bytes over the content bytes of every layer but the first (dive's user wasted percent, as a ratio). */
  userWastedPercent: number;
  /** The largest inefficiencies (at most INEFFICIENCIES_SHOWN). */
  inefficiencies: Inefficiency[];
  /** The largest directories of the merged filesystem by recursive size. */
  largestDirectories: DirectorySize[];
}

export const INEFFICIENCIES_SHOWN = 20;
export const DIRECTORIES_SHOWN = 10;

/**
 * Reads each layer's tar headers once (never file contents) for the layer table and the
 * efficiency, then builds the merged filesystem for file counts and directory sizes.
 */
export async function inspectImage(image: Image, reference: string): Promise<ImageReport> {
  const history = historyForLayers(image.config, image.layers.length);
  const calc = new EfficiencyCalculator();
  const layers: LayerInfo[] = [];
  for (const [index, layer] of image.layers.entries()) {
    const what = `layer ${index + 1} (${layer.digest.slice(0, 19)})`;
    const stats = new LayerStats();
    const tree = new LayerTree();
    for await (const e of readTarEntries(await layer.tar(), what)) {
      // Refuse hostile names here too, with the same message the merged filesystem would give.
      normalizeMemberName(e.name, what);
      stats.add(e);
      tree.add(e);
    }
    calc.addLayer(tree);
    const h = history[index];
    layers.push({
      index,
      digest: layer.digest,
      diffId: layer.diffId,
      blobSize: layer.size,
      size: stats.size,
      contentBytes: stats.contentBytes,
      entries: stats.entries,
      createdBy: h?.created_by ?? '',
      ...(h?.comment ? { comment: h.comment } : {}),
      ...(h?.created ? { created: h.created } : {}),
    });
  }
  const eff = calc.result();

  const fs = await RootFs.fromImage(image);
  let totals: FsTotals;
  let largest: DirectorySize[];
  try {
    totals = fsTotals(fs);
    largest = largestDirectories(fs, DIRECTORIES_SHOWN);
  } finally {
    await fs.close();
  }

  const c = image.config.config ?? {};
  return {
    reference,
    id: image.configDigest,
    platform: formatPlatform(platformOf(image.config)),
    repoTags: [...image.repoTags],
    config: {
      Entrypoint: c.Entrypoint ?? null,
      Cmd: c.Cmd ?? null,
      Env: c.Env ?? [],
      User: c.User ?? '',
      WorkingDir: c.WorkingDir ?? '',
      ExposedPorts: Object.keys(c.ExposedPorts ?? {}),
      Labels: c.Labels ?? {},
    },
    layers,
    size: layers.reduce((n, l) => n + l.size, 0),
    contentBytes: layers.reduce((n, l) => n + l.contentBytes, 0),
    fileCount: totals.files,
    directoryCount: totals.directories,
    mergedBytes: totals.bytes,
    wastedBytes: eff.wastedBytes,
    efficiency: eff.efficiency,
    userWastedPercent: userWastedRatio(eff.wastedBytes, layers.map((l) => l.contentBytes)),
    inefficiencies: eff.inefficiencies.slice(0, INEFFICIENCIES_SHOWN),
    largestDirectories: largest,
  };
}
