import { UsageError } from '../errors.js';
import type { Image, Platform } from '../image/model.js';
import { openDockerArchive } from './docker-archive.js';
import { writeDockerArchiveFile } from './docker-archive-writer.js';
import { imageFromDaemon, imageToDaemon } from './docker-daemon.js';
import { openOciArchive, writeOciArchive } from './oci-archive.js';
import { openOciDir, writeOciDir } from './oci-layout.js';
import { platformChoice } from './platform.js';
import { formatReference, normalizeTag, parseReference, type ImageReference } from './reference.js';

export { parseReference, formatReference, type ImageReference, type Transport } from './reference.js';
export { hostPlatform, parsePlatform } from './platform.js';

export interface OpenOptions {
  /** Which image of a multi-platform index; default the host's (linux/amd64, linux/arm64, ...). */
  platform?: Platform;
}

/** Reads an image from any transport. Call image.close() when done: it removes the temporary files. */
export async function openImage(ref: string | ImageReference, opts: OpenOptions = {}): Promise<Image> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const choice = platformChoice(opts.platform);
  switch (r.transport) {
    case 'docker-daemon':
      return imageFromDaemon(r.name!, choice);
    case 'docker-archive':
      return openDockerArchive(r.path!, r.name, choice);
    case 'oci-archive':
      return openOciArchive(r.path!, r.name, choice);
    case 'oci':
      return openOciDir(r.path!, r.name, choice);
  }
}

export interface WriteOptions {
  /** repo:tag to record (docker-archive, daemon) or ref name (oci, oci-archive) when the reference names none. */
  tag?: string;
}

export interface WriteResult {
  /** Where the image went, as a reference that openImage reads back. */
  reference: string;
  /** sha256 of the config: the image ID docker shows. */
  imageId: string;
  /** Digest of the manifest written (oci, oci-archive). */
  manifestDigest?: string;
}

/** Writes an image to any transport; nothing is left at the destination if it fails. */
export async function writeImage(image: Image, ref: string | ImageReference, opts: WriteOptions = {}): Promise<WriteResult> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const imageId = image.configDigest;
  const name = r.name ?? opts.tag;
  switch (r.transport) {
    case 'docker-daemon': {
      if (!name || /^(sha256:)?[0-9a-f]{64}$/.test(name)) throw new UsageError(`writing to the Docker daemon needs a name:tag, not ${JSON.stringify(name ?? '')}`);
      const tag = normalizeTag(name);
      await imageToDaemon(image, tag);
      return { reference: `docker-daemon:${tag}`, imageId };
    }
    case 'docker-archive': {
      const tag = name ? normalizeTag(name) : undefined;
      await writeDockerArchiveFile(image, r.path!, tag ? [tag] : []);
      return { reference: formatReference({ transport: r.transport, path: r.path!, ...(tag ? { name: tag } : {}), raw: '' }), imageId };
    }
    case 'oci-archive': {
      const { descriptor } = await writeOciArchive(image, r.path!, name);
      return { reference: formatReference({ transport: r.transport, path: r.path!, ...(name ? { name } : {}), raw: '' }), imageId, manifestDigest: descriptor.digest };
    }
    case 'oci': {
      const { descriptor } = await writeOciDir(image, r.path!, name);
      return { reference: formatReference({ transport: r.transport, path: r.path!, ...(name ? { name } : {}), raw: '' }), imageId, manifestDigest: descriptor.digest };
    }
  }
}
