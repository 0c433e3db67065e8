import { BadInputError, NotFoundError, UsageError } from '../errors.js';
import type { Image, Platform } from '../image/model.js';
import { Workspace } from '../util/workspace.js';
import { assembleImage, imageFromOciLayout } from './image-from-layout.js';
import type { LayoutReader } from './layout-reader.js';

/** One entry of a `docker save` manifest.json (both the legacy and the Docker 25+ layout have it). */
interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/**
 * Reads a `docker save` archive: the legacy layout (<id>/layer.tar) and the Docker 25+ OCI
 * layout (blobs/sha256/...) both carry manifest.json, which is read first; an archive with
 * only index.json is read as an OCI layout.
 */
export async function imageFromDockerArchive(layout: LayoutReader, name: string | undefined, platform: Platform, onClose: () => Promise<void> = async () => undefined): Promise<Image> {
  if (!(await layout.range('manifest.json'))) {
    if (await layout.range('index.json')) return imageFromOciLayout(layout, name, platform, onClose);
    throw new BadInputError(`${layout.what}: not a docker save archive (no manifest.json)`);
  }
  const entries = await layout.readJson<DockerSaveEntry[]>('manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new BadInputError(`${layout.what}: manifest.json lists no image`);
  const entry = pickEntry(entries, name, layout.what);
  if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) {
    throw new BadInputError(`${layout.what}: manifest.json entry lacks Config or Layers`);
  }
  const annotations = await dockerIndexAnnotations(layout);
  const workspace = await Workspace.create();
  try {
    return await assembleImage({
      layout,
      configPath: entry.Config,
      layerPaths: entry.Layers,
      // Docker 25+ names blobs by digest; legacy layer.tar members are uncompressed, so digest = diff ID.
      layerDigests: entry.Layers.map((p) => blobDigestFromPath(p)).every((d) => d !== undefined) ? entry.Layers.map((p) => blobDigestFromPath(p)!) : undefined,
      expectedConfigDigest: blobDigestFromPath(entry.Config),
      repoTags: entry.RepoTags ?? [],
      ...(annotations ? { annotations } : {}),
      workspace,
      onClose,
    });
  } catch (err) {
    await workspace.close();
    throw err;
  }
}

function pickEntry(entries: readonly DockerSaveEntry[], name: string | undefined, what: string): DockerSaveEntry {
  if (name) {
    const found = entries.find((e) => (e.RepoTags ?? []).some((t) => t === name || t === `${name}:latest` || t === `docker.io/library/${name}`));
    if (!found) {
      const tags = entries.flatMap((e) => e.RepoTags ?? []);
      throw new NotFoundError(`${what}: no image tagged ${JSON.stringify(name)}${tags.length ? ` (it has: ${tags.join(', ')})` : ''}`);
    }
    return found;
  }
  if (entries.length > 1) {
    const tags = entries.map((e) => (e.RepoTags ?? []).join(' ') || e.Config);
    throw new UsageError(`${what} holds ${entries.length} images; name one as docker-archive:PATH:REF (${tags.join(', ')})`);
  }
  return entries[0]!;
}

function blobDigestFromPath(path: string): string | undefined {
  const m = /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

/** Docker 25+ records the image's annotations on its index.json entry. */
async function dockerIndexAnnotations(layout: LayoutReader): Promise<Record<string, string> | undefined> {
  if (!(await layout.range('index.json'))) return undefined;
  const index = await layout.readJson<{ manifests?: Array<{ annotations?: Record<string, string> }> }>('index.json');
  return index.manifests?.[0]?.annotations;
}
