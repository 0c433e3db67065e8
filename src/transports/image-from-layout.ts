import { BadInputError } from '../errors.js';
import { MediaTypes, type Compression, type Image, type ImageConfigFile, type Layer } from '../image/model.js';
import { digestHex, isDigest, sha256Hex } from '../util/digest.js';
import type { Workspace } from '../util/workspace.js';
import { BlobLayer, detectCompression, hashRange } from './blob-layer.js';
import { parseJson, type LayoutReader } from './layout-reader.js';
import type { TarEntry } from '../tar/tar-reader.js';

/** Where a blob lives in an OCI layout (and in a Docker 25+ save). */
export function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new BadInputError(`unsupported or malformed digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${digestHex(digest)}`;
}

/** The OCI layer media type for a compression. */
export function ociLayerMediaType(compression: Compression): string {
  return compression === 'gzip' ? MediaTypes.ociLayerGzip : compression === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
}

function mediaTypeCompression(mediaType: string): Compression | undefined {
  if (/(\+|\.)gzip$/.test(mediaType)) return 'gzip';
  if (/\+zstd$/.test(mediaType)) return 'zstd';
  if (/\.tar$/.test(mediaType)) return 'none';
  return undefined;
}

/** How an image read from a layout is opened. */
export interface OpenOptions {
  /** Runs after the layout and workspace are released. */
  onClose?: () => Promise<void>;
  /**
   * Take layer bytes as matching their digests without hashing them: for a spool the Docker
   * daemon just wrote, whose digests the daemon computed from the layers it stores.
   */
  trustLayerDigests?: boolean;
  /** Entries of tar members the source listed while reading, by member path. */
  listedMembers?: ReadonlyMap<string, Promise<readonly TarEntry[] | undefined>>;
}

export interface AssembleArgs extends OpenOptions {
  layout: LayoutReader;
  configPath: string;
  /** When known (OCI layouts, Docker 25+ saves): the config is checked against it. */
  expectedConfigDigest?: string;
  layerPaths: readonly string[];
  /** Blob digests when the layout names them; otherwise uncompressed blobs use the diff ID and others are hashed. */
  layerDigests?: readonly string[];
  layerMediaTypes?: readonly string[];
  repoTags: readonly string[];
  annotations?: Record<string, string>;
  workspace: Workspace;
}

/**
 * Assembles an Image from a config and layer blobs found in a layout. What can be checked
 * cheaply is checked up front (config digest, layer count, blobs present); layer bytes are
 * checked as they are read.
 */
export async function assembleImage(args: AssembleArgs): Promise<Image> {
  const { layout, workspace } = args;
  const rawConfig = args.expectedConfigDigest ? await layout.readVerified(args.configPath, args.expectedConfigDigest) : await layout.readBytes(args.configPath);
  const configDigest = sha256Hex(rawConfig);
  const config = parseJson<ImageConfigFile>(rawConfig, `${layout.what}: config ${args.configPath}`);
  if (typeof config !== 'object' || config === null || !Array.isArray(config.rootfs?.diff_ids)) {
    throw new BadInputError(`${layout.what}: config ${args.configPath} has no rootfs.diff_ids; it is not an image config`);
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== args.layerPaths.length) {
    throw new BadInputError(`${layout.what}: the config lists ${diffIds.length} layers but the manifest ${args.layerPaths.length}`);
  }
  const layers: Layer[] = [];
  for (const [i, path] of args.layerPaths.entries()) {
    const what = `${layout.what}: layer ${i + 1} (${path})`;
    const blob = await layout.range(path);
    if (!blob) throw new BadInputError(`${what} is missing`);
    const diffId = diffIds[i]!;
    if (!isDigest(diffId)) throw new BadInputError(`${layout.what}: config ${args.configPath} has a malformed diff ID ${JSON.stringify(diffId)}`);
    // The bytes decide the compression: media types and file names are not always right.
    const compression = await detectCompression(blob);
    // A legacy save names layers by path only: an uncompressed blob's digest is its diff ID, others are hashed.
    const digest = args.layerDigests?.[i] ?? (compression === 'none' ? diffId : await hashRange(blob));
    const declared = args.layerMediaTypes?.[i];
    const mediaType = declared && mediaTypeCompression(declared) === compression ? declared : ociLayerMediaType(compression);
    layers.push(new BlobLayer({ blob, digest, diffId, mediaType, compression, workspace, what, verify: !args.trustLayerDigests, listed: args.listedMembers?.get(path) }));
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
      await args.onClose?.();
    },
  };
}
