import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BadInputError, NotFoundError, UsageError } from '../errors.js';
import { MediaTypes, formatPlatform, platformOf, type Descriptor, type Image, type Platform } from '../image/model.js';
import { sha256Hex } from '../util/digest.js';
import { Workspace } from '../util/workspace.js';
import { assembleImage, blobPath, ociLayerMediaType, type OpenOptions } from './image-from-layout.js';
import { DirLayoutReader, parseJson, type LayoutReader } from './layout-reader.js';
import { DirLayoutWriter, type LayoutWriter } from './layout-writer.js';
import { platformMatches, type PlatformChoice } from './platform.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';
export const OCI_LAYOUT_FILE = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

interface ImageManifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: unknown;
  annotations?: Record<string, string>;
}

interface ImageIndex {
  mediaType?: string;
  manifests?: Descriptor[];
}

const INDEX_TYPES: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerManifestList];
const MANIFEST_TYPES: readonly string[] = [MediaTypes.ociManifest, MediaTypes.dockerManifest];

/** Reads an image from an OCI layout directory (oci:DIR[:REF]). */
export async function openOciDir(dir: string, name: string | undefined, choice: PlatformChoice): Promise<Image> {
  const layout = await DirLayoutReader.open(dir);
  try {
    return await imageFromOciLayout(layout, name, choice);
  } catch (err) {
    await layout.close();
    throw err;
  }
}

/**
 * Reads an OCI image layout (index.json, blobs/sha256). `name` picks a manifest by its
 * org.opencontainers.image.ref.name (or io.containerd.image.name) annotation; image indexes,
 * nested ones and Docker manifest lists too, are descended by platform.
 */
export async function imageFromOciLayout(layout: LayoutReader, name: string | undefined, choice: PlatformChoice, opts: OpenOptions = {}): Promise<Image> {
  if (!(await layout.range('index.json'))) throw new BadInputError(`${layout.what}: not an OCI image layout (no index.json)`);
  const index = await layout.readJson<ImageIndex>('index.json');
  if (!Array.isArray(index?.manifests)) throw new BadInputError(`${layout.what}: index.json has no manifests list`);
  const top = pickByName(index.manifests, name, layout.what);
  const desc = await pickManifest(layout, top, choice);
  const manifest = parseJson<ImageManifest>(await layout.readVerified(blobPath(desc.digest), desc.digest), `${layout.what}: manifest ${desc.digest}`);
  if (!manifest?.config?.digest || !Array.isArray(manifest.layers)) throw new BadInputError(`${layout.what}: manifest ${desc.digest} is not an image manifest (no config or layers)`);
  const workspace = await Workspace.create();
  try {
    return await assembleImage({
      layout,
      configPath: blobPath(manifest.config.digest),
      expectedConfigDigest: manifest.config.digest,
      layerPaths: manifest.layers.map((l) => blobPath(l.digest)),
      layerDigests: manifest.layers.map((l) => l.digest),
      layerMediaTypes: manifest.layers.map((l) => l.mediaType),
      repoTags: imageNames(top.length === 1 ? top[0]! : desc),
      ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
      workspace,
      ...opts,
    });
  } catch (err) {
    await workspace.close();
    throw err;
  }
}

function refNames(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  return [a[REF_NAME], a[CONTAINERD_NAME]].filter((x): x is string => !!x);
}

/** Names to record as the image's tags: the full containerd name (made familiar) first. */
function imageNames(d: Descriptor): string[] {
  const full = d.annotations?.[CONTAINERD_NAME];
  if (full) return [familiarName(full)];
  const ref = d.annotations?.[REF_NAME];
  return ref ? [ref] : [];
}

/** "docker.io/library/foo:1" -> "foo:1", as docker prints names. */
export function familiarName(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

function pickByName(manifests: readonly Descriptor[], name: string | undefined, what: string): Descriptor[] {
  if (name) {
    const found = manifests.filter((d) => refNames(d).some((n) => n === name || familiarName(n) === name));
    if (found.length === 0) {
      const known = [...new Set(manifests.flatMap((d) => d.annotations?.[REF_NAME] ?? []))];
      throw new NotFoundError(`${what}: no image named ${JSON.stringify(name)}${known.length ? ` (it has: ${known.join(', ')})` : ' (its images have no names)'}`);
    }
    return uniqueByDigest(found);
  }
  // Differently named entries are different images, not platforms of one: the user must choose.
  const named = uniqueByDigest(manifests.filter((d) => d.annotations?.[REF_NAME]));
  const names = [...new Set(manifests.map((d) => d.annotations?.[REF_NAME]).filter((n): n is string => !!n))];
  if (named.length > 1 && names.length > 1) {
    throw new UsageError(`${what} holds ${named.length} images; name one as oci:PATH:REF or oci-archive:PATH:REF (${names.join(', ')})`);
  }
  return uniqueByDigest(manifests);
}

/** One image tagged twice is listed twice; it is still one image. */
function uniqueByDigest(descs: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descs.filter((d) => !seen.has(d.digest) && (seen.add(d.digest), true));
}

/** A manifest descriptor and whether an image index was descended to reach it. */
interface Reached {
  desc: Descriptor;
  viaIndex: boolean;
}

async function isIndex(layout: LayoutReader, d: Descriptor): Promise<boolean> {
  if (INDEX_TYPES.includes(d.mediaType)) return true;
  if (MANIFEST_TYPES.includes(d.mediaType)) return false;
  // A descriptor without a (known) media type: the document says what it is.
  const doc = parseJson<ImageManifest>(await layout.readVerified(blobPath(d.digest), d.digest), `${layout.what}: ${blobPath(d.digest)}`);
  return Array.isArray(doc?.manifests);
}

/** Every image manifest reachable from these descriptors, nested indexes expanded. */
async function reachable(layout: LayoutReader, descs: readonly Descriptor[], viaIndex: boolean, depth: number): Promise<Reached[]> {
  if (depth > 4) throw new BadInputError(`${layout.what}: image indexes nested too deeply`);
  const out: Reached[] = [];
  for (const d of descs) {
    if (typeof d?.digest !== 'string') throw new BadInputError(`${layout.what}: an index entry has no digest`);
    if (await isIndex(layout, d)) {
      const nested = parseJson<ImageIndex>(await layout.readVerified(blobPath(d.digest), d.digest), `${layout.what}: index ${d.digest}`);
      out.push(...(await reachable(layout, nested.manifests ?? [], true, depth + 1)));
    } else out.push({ desc: d, viaIndex });
  }
  return out;
}

/** Attestations and signatures ride along in indexes; they are not images to run. */
function isRunnable(d: Descriptor): boolean {
  return d.platform?.os !== 'unknown' && d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest';
}

async function pickManifest(layout: LayoutReader, top: readonly Descriptor[], choice: PlatformChoice): Promise<Descriptor> {
  const all = (await reachable(layout, top, top.length > 1, 0)).filter((r) => isRunnable(r.desc));
  if (all.length === 0) throw new BadInputError(`${layout.what}: the index holds no image`);
  const lone = all.length === 1 ? all[0]! : undefined;
  // A lone manifest listed directly in index.json is simply the image, whatever its platform,
  // unless the user asked for a platform it does not have.
  if (lone && !lone.viaIndex && (!choice.explicit || !lone.desc.platform || platformMatches(choice.platform, lone.desc.platform))) return lone.desc;
  const match = all.find((r) => platformMatches(choice.platform, r.desc.platform));
  if (match) return match.desc;
  if (lone && !lone.desc.platform) return lone.desc;
  const have = [...new Set(all.map((r) => (r.desc.platform ? formatPlatform(r.desc.platform) : 'unknown platform')))];
  throw new NotFoundError(`${layout.what}: no image for platform ${formatPlatform(choice.platform)}; it has ${have.join(', ')} (choose one with --platform)`);
}

export interface OciManifestResult {
  manifest: Buffer;
  descriptor: Descriptor;
}

/** Writes config, layers (as stored, each once) and the manifest of an image into an OCI layout. */
export async function writeOciImage(image: Image, out: LayoutWriter): Promise<OciManifestResult> {
  await out.write({ path: blobPath(image.configDigest), bytes: image.rawConfig });
  const layers: Descriptor[] = [];
  const written = new Set<string>();
  for (const layer of image.layers) {
    if (!written.has(layer.digest)) {
      // openBlob checks the digest as it streams: a bad source fails the write, not the reader later.
      await out.write({ path: blobPath(layer.digest), size: layer.size, open: () => layer.openBlob() });
      written.add(layer.digest);
    }
    layers.push({ mediaType: ociLayerMediaType(layer.compression), digest: layer.digest, size: layer.size });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: image.configDigest, size: image.rawConfig.length },
      layers,
      ...(image.annotations && Object.keys(image.annotations).length ? { annotations: image.annotations } : {}),
    }),
  );
  const digest = sha256Hex(manifest);
  await out.write({ path: blobPath(digest), bytes: manifest });
  const platform: Platform | undefined = image.config.os && image.config.architecture ? platformOf(image.config) : undefined;
  return { manifest, descriptor: { mediaType: MediaTypes.ociManifest, digest, size: manifest.length, ...(platform ? { platform } : {}) } };
}

/** The index.json of a layout, with this image's entry added (replacing one of the same ref name). */
export function ociIndexWith(existing: ImageIndex | undefined, desc: Descriptor, refName: string | undefined): Buffer {
  const others = (existing?.manifests ?? []).filter((d) => !refName || d.annotations?.[REF_NAME] !== refName);
  const entry: Descriptor = { ...desc, ...(refName ? { annotations: { [REF_NAME]: refName } } : {}) };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...others, entry] }, null, 2));
}

/**
 * Writes the image into an OCI layout directory. A new directory is built under a temporary
 * name and renamed into place. An existing layout gets the new blobs (each renamed into
 * place, taken out again on failure) and then a new index.json, renamed over the old one.
 */
export async function writeOciDir(image: Image, dir: string, refName: string | undefined): Promise<OciManifestResult> {
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new UsageError(`cannot write oci:${dir}: it exists and is not a directory (oci-archive: writes a tar)`);
  const isLayout = existing ? await stat(join(dir, 'oci-layout')).then((s) => s.isFile(), () => false) : false;
  if (existing && !isLayout && (await readdir(dir)).length > 0) {
    throw new UsageError(`cannot write oci:${dir}: it exists and is not an OCI layout; choose a new or empty directory`);
  }
  if (!existing && !(await stat(dirname(dir)).then((s) => s.isDirectory(), () => false))) {
    throw new NotFoundError(`cannot write oci:${dir}: no such directory ${dirname(dir)}`);
  }
  if (isLayout) return addToLayout(image, dir, refName);
  const tmp = join(dirname(dir), `.${basename(dir)}.${randomBytes(4).toString('hex')}.whittle-tmp`);
  try {
    await mkdir(tmp);
    const w = new DirLayoutWriter(tmp);
    await w.write({ path: 'oci-layout', bytes: OCI_LAYOUT_FILE });
    const result = await writeOciImage(image, w);
    await w.write({ path: 'index.json', bytes: ociIndexWith(undefined, result.descriptor, refName) });
    if (existing) await rmdir(dir);
    await rename(tmp, dir);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function addToLayout(image: Image, dir: string, refName: string | undefined): Promise<OciManifestResult> {
  const layout = await DirLayoutReader.open(dir);
  const w = new DirLayoutWriter(dir);
  try {
    const old = (await layout.range('index.json')) ? await layout.readJson<ImageIndex>('index.json') : undefined;
    if (old !== undefined && !Array.isArray(old?.manifests)) throw new BadInputError(`${dir}: index.json has no manifests list`);
    const result = await writeOciImage(image, w);
    await w.write({ path: 'index.json', bytes: ociIndexWith(old, result.descriptor, refName) });
    return result;
  } catch (err) {
    // Only blobs this write added go; index.json is replaced last, so it still names what it did.
    await Promise.all(w.created.map((f) => rm(f, { force: true })));
    throw err;
  } finally {
    await layout.close();
  }
}
