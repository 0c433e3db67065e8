import { BadInputError, NotFoundError } from '../errors.js';
import { MediaTypes, formatPlatform, type Descriptor, type Image, type ImageConfigFile, type Layer, type Platform } from '../image/model.js';
import { digestHex, isDigest, sha256Hex } from '../util/digest.js';
import { Workspace } from '../util/workspace.js';
import { BlobLayer, detectCompression } from './blob-layer.js';
import type { LayoutReader } from './layout-reader.js';
import { platformMatches } from './platform.js';

interface ImageManifest {
  schemaVersion?: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

interface ImageIndex {
  schemaVersion?: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

const INDEX_TYPES: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerManifestList];

export function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new BadInputError(`unsupported or malformed digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${digestHex(digest)}`;
}

/** Assembles an Image from a config and layer blobs found in a layout. Checks what it can up front. */
export async function assembleImage(args: {
  layout: LayoutReader;
  configPath: string;
  layerPaths: readonly string[];
  layerMediaTypes?: readonly string[];
  layerDigests?: readonly string[];
  repoTags: readonly string[];
  annotations?: Record<string, string>;
  expectedConfigDigest?: string;
  workspace: Workspace;
  onClose: () => Promise<void>;
}): Promise<Image> {
  const { layout, workspace } = args;
  const rawConfig = await layout.readBytes(args.configPath);
  const configDigest = sha256Hex(rawConfig);
  if (args.expectedConfigDigest && args.expectedConfigDigest !== configDigest) {
    throw new BadInputError(`${layout.what}: config ${args.configPath} does not match its digest ${args.expectedConfigDigest}`);
  }
  let config: ImageConfigFile;
  try {
    config = JSON.parse(rawConfig.toString('utf8')) as ImageConfigFile;
  } catch (err) {
    throw new BadInputError(`${layout.what}: config ${args.configPath} is not valid JSON (${(err as Error).message})`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== args.layerPaths.length) {
    throw new BadInputError(`${layout.what}: the config lists ${diffIds.length} layers but the manifest ${args.layerPaths.length}`);
  }
  const layers: Layer[] = [];
  for (const [i, path] of args.layerPaths.entries()) {
    const blob = await layout.range(path);
    if (!blob) throw new BadInputError(`${layout.what}: layer ${i + 1} is missing (${path})`);
    const compression = await detectCompression(blob);
    const diffId = diffIds[i]!;
    const digest = args.layerDigests?.[i] ?? (compression === 'none' ? diffId : undefined);
    if (!digest) throw new BadInputError(`${layout.what}: layer ${i + 1} (${path}) is compressed but no digest is recorded for it`);
    const mediaType =
      args.layerMediaTypes?.[i] ?? (compression === 'gzip' ? MediaTypes.ociLayerGzip : compression === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer);
    layers.push(new BlobLayer({ blob, digest, diffId, mediaType, compression, workspace, what: `${layout.what}: layer ${i + 1}` }));
  }
  let closed = false;
  return {
    rawConfig,
    config,
    configDigest,
    layers,
    repoTags: args.repoTags,
    ...(args.annotations ? { annotations: args.annotations } : {}),
    origin: layout.what,
    async close() {
      if (closed) return;
      closed = true;
      await layout.close();
      await workspace.close();
      await args.onClose();
    },
  };
}

/**
 * Reads an OCI image layout (index.json, blobs/sha256). `name` picks a manifest by its
 * org.opencontainers.image.ref.name annotation; indexes are descended by platform.
 */
export async function imageFromOciLayout(layout: LayoutReader, name: string | undefined, platform: Platform, onClose: () => Promise<void>): Promise<Image> {
  const index = await layout.readJson<ImageIndex>('index.json');
  if (!Array.isArray(index.manifests)) throw new BadInputError(`${layout.what}: index.json has no manifests`);
  let candidates = index.manifests;
  if (name) {
    candidates = candidates.filter((d) => refNames(d).includes(name));
    if (candidates.length === 0) {
      const known = index.manifests.flatMap(refNames);
      throw new NotFoundError(`${layout.what}: no image named ${JSON.stringify(name)}${known.length ? ` (it has: ${known.join(', ')})` : ''}`);
    }
  }
  const desc = await pickManifest(layout, candidates, platform, 0);
  const manifest = await layout.readJson<ImageManifest>(blobPath(desc.digest));
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new BadInputError(`${layout.what}: manifest ${desc.digest} is not an image manifest`);
  const workspace = await Workspace.create();
  const tags = refNames(desc).map((n) => n);
  return assembleImage({
    layout,
    configPath: blobPath(manifest.config.digest),
    expectedConfigDigest: manifest.config.digest,
    layerPaths: manifest.layers.map((l) => blobPath(l.digest)),
    layerDigests: manifest.layers.map((l) => l.digest),
    layerMediaTypes: manifest.layers.map((l) => l.mediaType),
    repoTags: tags,
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
    workspace,
    onClose,
  });
}

function refNames(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  return [a['io.containerd.image.name'], a['org.opencontainers.image.ref.name']].filter((x): x is string => !!x);
}

/** Every image manifest reachable from these descriptors, nested indexes expanded. */
async function collectImageManifests(layout: LayoutReader, descs: readonly Descriptor[], depth: number): Promise<Descriptor[]> {
  if (depth > 4) throw new BadInputError(`${layout.what}: image indexes nested too deeply`);
  const images: Descriptor[] = [];
  for (const d of descs) {
    if (INDEX_TYPES.includes(d.mediaType)) {
      const nested = await layout.readJson<ImageIndex>(blobPath(d.digest));
      images.push(...(await collectImageManifests(layout, nested.manifests ?? [], depth + 1)));
    } else images.push(d);
  }
  return images;
}

async function pickManifest(layout: LayoutReader, descs: readonly Descriptor[], platform: Platform, depth: number): Promise<Descriptor> {
  // Attestation manifests (unknown/unknown) are not images to run.
  const runnable = (await collectImageManifests(layout, descs, depth)).filter((d) => d.platform?.os !== 'unknown');
  if (runnable.length === 0) throw new BadInputError(`${layout.what}: the index holds no image`);
  const match = runnable.find((d) => platformMatches(platform, d.platform));
  if (match) return match;
  // A single manifest without a platform is what docker save and most layouts hold.
  if (runnable.length === 1 && !runnable[0]!.platform) return runnable[0]!;
  const have = runnable.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown platform'));
  throw new NotFoundError(`${layout.what}: no image for platform ${formatPlatform(platform)}; it has: ${have.join(', ')} (use --platform)`);
}
