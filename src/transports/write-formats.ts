import { MediaTypes, type Descriptor, type Image, type Layer } from '../image/model.js';
import { openRangeStream } from '../tar/file-range.js';
import { digestHex, sha256Hex } from '../util/digest.js';
import type { LayoutWriter } from './layout-writer.js';
import { blobPath } from './image-from-layout.js';

const DOCKER_TO_OCI: Record<string, string> = {
  [MediaTypes.dockerLayer]: MediaTypes.ociLayer,
  [MediaTypes.dockerLayerGzip]: MediaTypes.ociLayerGzip,
};

export interface OciManifestResult {
  manifest: Buffer;
  descriptor: Descriptor;
}

/** Writes config, layers (as stored) and the manifest of an image into an OCI layout. */
export async function writeOciImage(image: Image, out: LayoutWriter): Promise<OciManifestResult> {
  await out.write({ path: blobPath(image.configDigest), bytes: image.rawConfig });
  const layers: Descriptor[] = [];
  for (const layer of image.layers) {
    await out.write({ path: blobPath(layer.digest), size: layer.size, open: () => layer.openBlob() });
    layers.push({ mediaType: DOCKER_TO_OCI[layer.mediaType] ?? layer.mediaType, digest: layer.digest, size: layer.size });
  }
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: image.configDigest, size: image.rawConfig.length },
    layers,
    ...(image.annotations && Object.keys(image.annotations).length ? { annotations: image.annotations } : {}),
  };
  const manifest = Buffer.from(JSON.stringify(manifestJson));
  const digest = sha256Hex(manifest);
  await out.write({ path: blobPath(digest), bytes: manifest });
  return { manifest, descriptor: { mediaType: MediaTypes.ociManifest, digest, size: manifest.length } };
}

/** The index.json of a layout, with this image's entry added (replacing one of the same name). */
export function ociIndexWith(existing: { manifests?: Descriptor[] } | undefined, desc: Descriptor, refName: string | undefined): Buffer {
  const others = (existing?.manifests ?? []).filter((d) => !refName || d.annotations?.['org.opencontainers.image.ref.name'] !== refName);
  const entry: Descriptor = { ...desc, ...(refName ? { annotations: { 'org.opencontainers.image.ref.name': refName } } : {}) };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...others, entry] }, null, 2));
}

export const OCI_LAYOUT_FILE = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

/**
 * Writes a legacy `docker save` archive, the layout every Docker version loads: uncompressed
 * <diffid>/layer.tar members, <config digest>.json, manifest.json and repositories.
 */
export async function writeDockerArchive(image: Image, out: LayoutWriter, repoTags: readonly string[]): Promise<void> {
  const configName = `${digestHex(image.configDigest)}.json`;
  await out.write({ path: configName, bytes: image.rawConfig });
  const layerPaths: string[] = [];
  for (const layer of image.layers) {
    const path = `${digestHex(layer.diffId)}/layer.tar`;
    if (!layerPaths.includes(path)) {
      await out.write(await uncompressedLayerFile(layer, path));
    }
    layerPaths.push(path);
  }
  await out.write({ path: 'manifest.json', bytes: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: repoTags.length ? repoTags : null, Layers: layerPaths }])) });
  const repositories: Record<string, Record<string, string>> = {};
  const topLayer = image.layers.length ? digestHex(image.layers[image.layers.length - 1]!.diffId) : '';
  for (const tag of repoTags) {
    const i = tag.lastIndexOf(':');
    if (i > 0 && !tag.slice(i).includes('/')) (repositories[tag.slice(0, i)] ??= {})[tag.slice(i + 1)] = topLayer;
  }
  if (Object.keys(repositories).length) await out.write({ path: 'repositories', bytes: Buffer.from(JSON.stringify(repositories)) });
}

async function uncompressedLayerFile(layer: Layer, path: string): Promise<{ path: string; size: number; open(): ReturnType<typeof openRangeStream> }> {
  const range = await layer.tar();
  return { path, size: range.size, open: () => openRangeStream(range) };
}
