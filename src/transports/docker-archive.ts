import { BadInputError, NotFoundError, UsageError } from '../errors.js';
import type { Image } from '../image/model.js';
import { Workspace } from '../util/workspace.js';
import { assembleImage, type OpenOptions } from './image-from-layout.js';
import { TarLayoutReader, type LayoutReader } from './layout-reader.js';
import { familiarName, imageFromOciLayout } from './oci-layout.js';
import type { PlatformChoice } from './platform.js';
import { withDefaultTag } from './reference.js';

/** One entry of a `docker save` manifest.json (both the legacy and the Docker 25+ layout have it). */
interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Reads an image from a `docker save` tar (docker-archive:PATH[:REF]). */
export async function openDockerArchive(path: string, name: string | undefined, choice: PlatformChoice, opts: OpenOptions = {}): Promise<Image> {
  const layout = await TarLayoutReader.open(path);
  try {
    return await imageFromDockerArchive(layout, name, choice, opts);
  } catch (err) {
    await layout.close();
    throw err;
  }
}

/**
 * Reads a `docker save` archive: the legacy layout (<id>/layer.tar, <config>.json) and the
 * Docker 25+ OCI layout (blobs/sha256/...) both carry manifest.json, which is read first; an
 * archive with only index.json is read as an OCI layout.
 */
export async function imageFromDockerArchive(layout: LayoutReader, name: string | undefined, choice: PlatformChoice, opts: OpenOptions = {}): Promise<Image> {
  if (!(await layout.range('manifest.json'))) {
    if (await layout.range('index.json')) return imageFromOciLayout(layout, name, choice, opts);
    throw new BadInputError(`${layout.what}: not a docker save archive (no manifest.json)`);
  }
  const entries = await layout.readJson<DockerSaveEntry[]>('manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new BadInputError(`${layout.what}: manifest.json lists no image`);
  const entry = pickEntry(entries, name, layout.what);
  if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
    throw new BadInputError(`${layout.what}: manifest.json entry lacks Config or Layers`);
  }
  const layerDigests = entry.Layers.map(blobDigestFromPath);
  const configDigest = blobDigestFromPath(entry.Config) ?? legacyConfigDigest(entry.Config);
  const workspace = await Workspace.create();
  try {
    return await assembleImage({
      layout,
      configPath: entry.Config,
      ...(configDigest ? { expectedConfigDigest: configDigest } : {}),
      layerPaths: entry.Layers,
      // Docker 25+ names layer blobs by digest; legacy <id>/layer.tar members say nothing.
      ...(layerDigests.every((d) => d !== undefined) ? { layerDigests: layerDigests as string[] } : {}),
      repoTags: name ? [withDefaultTag(name), ...(entry.RepoTags ?? []).filter((t) => t !== withDefaultTag(name))] : (entry.RepoTags ?? []),
      workspace,
      ...opts,
    });
  } catch (err) {
    await workspace.close();
    throw err;
  }
}

function pickEntry(entries: readonly DockerSaveEntry[], name: string | undefined, what: string): DockerSaveEntry {
  if (name) {
    const want = familiarName(withDefaultTag(name));
    const found = entries.find((e) => (e.RepoTags ?? []).some((t) => familiarName(withDefaultTag(t)) === want));
    if (!found) {
      const tags = entries.flatMap((e) => e.RepoTags ?? []);
      throw new NotFoundError(`${what}: no image tagged ${name}${tags.length ? ` (it has: ${tags.join(', ')})` : ' (its images have no tags)'}`);
    }
    return found;
  }
  if (entries.length > 1) {
    const tags = entries.map((e) => (e.RepoTags ?? []).join(' ') || `untagged ${String(e.Config)}`);
    throw new UsageError(`${what} holds ${entries.length} images; name one as docker-archive:PATH:REF (${tags.join(', ')})`);
  }
  return entries[0]!;
}

function blobDigestFromPath(path: string): string | undefined {
  const m = /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

/** The legacy layout names the config after its digest (the image ID): <hex>.json. */
function legacyConfigDigest(path: string): string | undefined {
  const m = /^([0-9a-f]{64})\.json$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}
