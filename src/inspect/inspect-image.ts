import type { Image } from '../image/model.js';
import { formatPlatform, platformOf } from '../image/model.js';
import { RootFs } from '../rootfs/rootfs.js';
import { readTarEntries, type TarEntry } from '../tar/tar-reader.js';
import { computeEfficiency, type Inefficiency } from './efficiency.js';
import { largestDirectories, type DirectorySize } from './directory-sizes.js';

export interface LayerInfo {
  digest: string;
  diffId: string;
  /** Bytes of the blob as stored. */
  size: number;
  /** Bytes of file content in the layer tar (what docker counts as the layer's size). */
  contentSize: number;
  createdBy: string;
}

export interface ImageReport {
  reference: string;
  id: string;
  platform: string;
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
  /** Sum of the layers' content sizes: docker image inspect's Size. */
  totalSize: number;
  fileCount: number;
  wastedBytes: number;
  /** dive's efficiency score, 0..1. */
  efficiency: number;
  /** Wasted bytes over the size of every layer but the first, as dive's highestUserWastedPercent. */
  userWastedPercent: number;
  inefficiencies: Inefficiency[];
  largestDirectories: DirectorySize[];
}

/** Everything `whittle inspect` shows, read from layer headers and the merged tree. */
export async function inspectImage(image: Image, reference: string): Promise<ImageReport> {
  const perLayer: TarEntry[][] = [];
  const layers: LayerInfo[] = [];
  const history = (image.config.history ?? []).filter((h) => !h.empty_layer);
  for (const [i, layer] of image.layers.entries()) {
    const entries: TarEntry[] = [];
    for await (const e of readTarEntries(await layer.tar(), `layer ${i + 1}`)) entries.push(e);
    perLayer.push(entries);
    layers.push({
      digest: layer.digest,
      diffId: layer.diffId,
      size: layer.size,
      contentSize: entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0),
      createdBy: history[i]?.created_by ?? '',
    });
  }
  const eff = computeEfficiency(perLayer);
  const fs = await RootFs.fromImage(image);
  let fileCount = 0;
  for (const e of fs.walk()) if (e.type !== 'dir') fileCount++;
  const largest = largestDirectories(fs, 10);
  await fs.close();
  const totalSize = layers.reduce((n, l) => n + l.contentSize, 0);
  const userSize = totalSize - (layers[0]?.contentSize ?? 0);
  const c = image.config.config ?? {};
  return {
    reference,
    id: image.configDigest,
    platform: formatPlatform(platformOf(image.config)),
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
    totalSize,
    fileCount,
    wastedBytes: eff.wastedBytes,
    efficiency: eff.efficiency,
    userWastedPercent: userSize > 0 ? eff.wastedBytes / userSize : 0,
    inefficiencies: eff.inefficiencies.slice(0, 20),
    largestDirectories: largest,
  };
}
