import { readFile, stat, mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadInputError, NotFoundError, UsageError } from '../errors.js';
import type { Descriptor, Image, Platform } from '../image/model.js';
import { imageFromDockerArchive } from './docker-archive.js';
import { imageFromDaemon, imageToDaemon } from './docker-daemon.js';
import { imageFromOciLayout } from './image-from-layout.js';
import { DirLayoutReader, TarLayoutReader } from './layout-reader.js';
import { DirLayoutWriter, TarLayoutWriter, writeFileAtomically } from './layout-writer.js';
import { hostPlatform } from './platform.js';
import { parseReference, type ImageReference } from './reference.js';
import { OCI_LAYOUT_FILE, ociIndexWith, writeDockerArchive, writeOciImage } from './write-formats.js';

export { parseReference, formatReference, type ImageReference, type Transport } from './reference.js';
export { hostPlatform, parsePlatform } from './platform.js';

export interface OpenOptions {
  /** Which image of a multi-platform index; default the host's. */
  platform?: Platform;
}

/** Reads an image from any transport. Call image.close() when done. */
export async function openImage(ref: string | ImageReference, opts: OpenOptions = {}): Promise<Image> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const platform = opts.platform ?? hostPlatform();
  switch (r.transport) {
    case 'docker-daemon':
      return imageFromDaemon(r.name!, platform);
    case 'docker-archive': {
      const layout = await TarLayoutReader.open(r.path!);
      return imageFromDockerArchive(layout, r.name, platform).catch(closeAnd(layout));
    }
    case 'oci-archive': {
      const layout = await TarLayoutReader.open(r.path!);
      return imageFromOciLayout(layout, r.name, platform, async () => undefined).catch(closeAnd(layout));
    }
    case 'oci': {
      const s = await stat(r.path!).catch(() => undefined);
      if (!s?.isDirectory()) throw new NotFoundError(`${r.path}: no such OCI layout directory`);
      const layout = new DirLayoutReader(r.path!);
      return imageFromOciLayout(layout, r.name, platform, async () => undefined).catch(closeAnd(layout));
    }
  }
}

function closeAnd(layout: { close(): Promise<void> }): (err: unknown) => Promise<never> {
  return async (err) => {
    await layout.close();
    throw err;
  };
}

export interface WriteOptions {
  /** repo:tag to record (docker-archive, daemon); defaults to the reference's name part. */
  tag?: string;
}

export interface WriteResult {
  reference: string;
  imageId: string;
  manifestDigest?: string;
}

/** Writes an image to any transport; nothing is left at the destination if it fails. */
export async function writeImage(image: Image, ref: string | ImageReference, opts: WriteOptions = {}): Promise<WriteResult> {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  const imageId = image.configDigest;
  switch (r.transport) {
    case 'docker-daemon': {
      const tag = opts.tag ?? r.name!;
      if (tag.startsWith('sha256:')) throw new UsageError('a docker-daemon destination needs a name:tag, not an image ID');
      await imageToDaemon(image, withDefaultTag(tag));
      return { reference: `docker-daemon:${withDefaultTag(tag)}`, imageId };
    }
    case 'docker-archive': {
      const tags = opts.tag ?? r.name;
      await writeFileAtomically(r.path!, async (out) => {
        const w = new TarLayoutWriter();
        await Promise.all([pipeline(w.pack, out), writeDockerArchive(image, w, tags ? [withDefaultTag(tags)] : []).then(() => w.finalize(), (err: unknown) => { w.pack.destroy(err as Error); throw err; })]);
      });
      return { reference: `docker-archive:${r.path}${tags ? `:${tags}` : ''}`, imageId };
    }
    case 'oci-archive': {
      let manifestDigest = '';
      await writeFileAtomically(r.path!, async (out: Writable) => {
        const w = new TarLayoutWriter();
        const produce = async (): Promise<void> => {
          await w.write({ path: 'oci-layout', bytes: OCI_LAYOUT_FILE });
          const { descriptor } = await writeOciImage(image, w);
          manifestDigest = descriptor.digest;
          await w.write({ path: 'index.json', bytes: ociIndexWith(undefined, descriptor, r.name ?? opts.tag) });
          w.finalize();
        };
        await Promise.all([pipeline(w.pack, out), produce().catch((err: unknown) => { w.pack.destroy(err as Error); throw err; })]);
      });
      return { reference: `oci-archive:${r.path}${r.name ? `:${r.name}` : ''}`, imageId, manifestDigest };
    }
    case 'oci':
      return writeOciDir(image, r, opts);
  }
}

function withDefaultTag(name: string): string {
  const slash = name.lastIndexOf('/');
  return name.slice(slash + 1).includes(':') ? name : `${name}:latest`;
}

/**
 * Adds the image to an OCI layout directory. A new directory is built under a temporary name
 * and renamed; an existing layout gets its blobs (content-addressed, each renamed into place)
 * and then a new index.json, renamed over the old one.
 */
async function writeOciDir(image: Image, r: ImageReference, opts: WriteOptions): Promise<WriteResult> {
  const dir = r.path!;
  const existing = await stat(dir).catch(() => undefined);
  const refName = r.name ?? opts.tag;
  if (existing && !existing.isDirectory()) throw new BadInputError(`${dir} exists and is not a directory`);
  const isLayout = existing ? await stat(join(dir, 'oci-layout')).then(() => true, () => false) : false;
  if (existing && !isLayout) {
    const empty = (await import('node:fs/promises')).readdir(dir).then((l) => l.length === 0);
    if (!(await empty)) throw new BadInputError(`${dir} exists and is not an OCI layout; choose an empty or new directory`);
  }
  const target = isLayout ? dir : join(dirname(dir), `.${basename(dir)}.${randomBytes(4).toString('hex')}.whittle-tmp`);
  try {
    await mkdir(target, { recursive: true });
    const w = new DirLayoutWriter(target);
    await w.write({ path: 'oci-layout', bytes: OCI_LAYOUT_FILE });
    const { descriptor } = await writeOciImage(image, w);
    const old = isLayout ? (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] }) : undefined;
    await w.write({ path: 'index.json', bytes: ociIndexWith(old, descriptor, refName) });
    if (!isLayout) {
      if (existing) await rm(dir, { recursive: true });
      await rename(target, dir);
    }
    return { reference: `oci:${dir}${refName ? `:${refName}` : ''}`, imageId: image.configDigest, manifestDigest: descriptor.digest };
  } catch (err) {
    if (!isLayout) await rm(target, { recursive: true, force: true });
    throw err;
  }
}
