import type { Image, Layer } from '../image/model.js';
import { openRangeStream } from '../tar/file-range.js';
import { digestHex } from '../util/digest.js';
import { TarLayoutWriter, writeTarAtomically, type LayoutFile, type LayoutWriter } from './layout-writer.js';

/** Writes a legacy `docker save` tar to `path` atomically (docker-archive:PATH[:TAG]). */
export async function writeDockerArchiveFile(image: Image, path: string, repoTags: readonly string[]): Promise<void> {
  await writeTarAtomically(path, (w) => writeDockerArchive(image, w, repoTags));
}

/**
 * The archive as a stream, made as it is read (for the daemon's image-load endpoint). A failure
 * while producing it destroys the stream with the error; `done` settles when it is produced.
 */
export function dockerArchiveStream(image: Image, repoTags: readonly string[]): { stream: TarLayoutWriter['pack']; done: Promise<void> } {
  const w = new TarLayoutWriter();
  const done = w.produce((out) => writeDockerArchive(image, out, repoTags));
  // The caller reports the failure through `done`; this keeps it from being an unhandled rejection meanwhile.
  done.catch(() => undefined);
  return { stream: w.pack, done };
}

/**
 * Writes a legacy `docker save` archive, the layout every Docker version loads: uncompressed
 * <diffid>/layer.tar members, <config digest>.json (the config bytes as they are, so the image
 * ID survives), manifest.json with Config, RepoTags and Layers, and repositories.
 */
export async function writeDockerArchive(image: Image, out: LayoutWriter, repoTags: readonly string[]): Promise<void> {
  const configName = `${digestHex(image.configDigest)}.json`;
  await out.write({ path: configName, bytes: image.rawConfig });
  const layerPaths: string[] = [];
  for (const layer of image.layers) {
    const path = `${digestHex(layer.diffId)}/layer.tar`;
    if (!layerPaths.includes(path)) await out.write(await uncompressedLayerFile(layer, path));
    layerPaths.push(path);
  }
  const manifest = [{ Config: configName, RepoTags: repoTags.length ? repoTags : null, Layers: layerPaths }];
  await out.write({ path: 'manifest.json', bytes: Buffer.from(JSON.stringify(manifest)) });
  // `repositories` maps repo -> tag -> top layer ID; docker load reads manifest.json first, older tools this.
  const repositories: Record<string, Record<string, string>> = {};
  const top = image.layers.at(-1);
  for (const tag of repoTags) {
    const i = tag.lastIndexOf(':');
    if (top && i > 0 && !tag.slice(i).includes('/')) (repositories[tag.slice(0, i)] ??= {})[tag.slice(i + 1)] = digestHex(top.diffId);
  }
  if (Object.keys(repositories).length) await out.write({ path: 'repositories', bytes: Buffer.from(JSON.stringify(repositories)) });
}

/**
 * The layer as an uncompressed tar. An uncompressed blob streams as stored and is checked
 * against its digest on the way; a compressed one is decompressed (and checked) by tar().
 */
async function uncompressedLayerFile(layer: Layer, path: string): Promise<LayoutFile> {
  if (layer.compression === 'none' && layer.digest === layer.diffId) return { path, size: layer.size, open: () => layer.openBlob() };
  const range = await layer.tar();
  return { path, size: range.size, open: () => openRangeStream(range) };
}
