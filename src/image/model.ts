import type { Readable } from 'node:stream';
import type { FileRange } from '../tar/file-range.js';
import type { TarEntry } from '../tar/tar-reader.js';

/** The one image model every transport reads into and writes from (go-containerregistry's v1.Image). */

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** The `config` object of an image config (what `docker run` uses). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config JSON (OCI image-spec config.md; Docker adds fields we keep as they are). */
export interface ImageConfigFile {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export type Compression = 'none' | 'gzip' | 'zstd';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/**
 * A layer. Its blob is the bytes as stored (maybe compressed); `tar()` gives the uncompressed
 * tar as a file range on disk (decompressing into the image's workspace on first use), which
 * is what the root filesystem reads headers and file contents from with positioned reads.
 */
export interface Layer {
  /** sha256 of the blob as stored. */
  readonly digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  readonly diffId: string;
  /** Size of the blob as stored. */
  readonly size: number;
  readonly mediaType: string;
  readonly compression: Compression;
  /** Streams the blob as stored; the stream errors at its end if the bytes do not match `digest`. */
  openBlob(): Readable;
  /** The uncompressed tar, checked against `diffId` the first time it is asked for. */
  tar(): Promise<FileRange>;
  /**
   * The tar's entries when the source already listed them while reading (a daemon's save), with
   * data offsets in tar()'s file; undefined otherwise. Given once: the caller keeps them.
   */
  takeListedEntries?(): Promise<readonly TarEntry[] | undefined>;
}

export interface Image {
  /** The config exactly as read: written back byte for byte so image IDs survive a copy. */
  readonly rawConfig: Buffer;
  readonly config: ImageConfigFile;
  /** sha256 of rawConfig: the image ID. */
  readonly configDigest: string;
  readonly layers: readonly Layer[];
  /** Names the image had where it was read (repo:tag), for the default output tag. */
  readonly repoTags: readonly string[];
  /** Manifest annotations, kept when writing OCI layouts. */
  readonly annotations?: Record<string, string>;
  /** Human description of where it came from, for messages. */
  readonly origin: string;
  /** Releases temporary files and open handles. Idempotent. */
  close(): Promise<void>;
}

export function platformOf(config: ImageConfigFile): Platform {
  return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
