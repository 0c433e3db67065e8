import type { Image } from '../image/model.js';
import type { FsEntry, RootFs } from '../rootfs/rootfs.js';
import { LayerStats } from '../inspect/layer-table.js';
import { readTarEntries } from '../tar/tar-reader.js';

export interface FileChange {
  path: string;
  /** Size in A (removed, changed) or B (added, changed). */
  sizeA?: number;
  sizeB?: number;
}

export interface DirectoryDelta {
  dir: string;
  bytesA: number;
  bytesB: number;
  /** Bytes in A that B lacks (removed or shrunk files). */
  removed: number;
  /** Bytes in B that A lacks. */
  added: number;
}

export interface ImageSide {
  reference: string;
  id: string;
  /** Sum of the uncompressed layer tars. */
  layerBytes: number;
  /** The size `docker image inspect` reports (file bytes plus symlink targets, per layer). */
  dockerSize: number;
  /** Bytes of file content in the merged filesystem, hardlinked bytes once. */
  fileBytes: number;
  files: number;
  layers: Array<{ digest: string; size: number; createdBy: string }>;
}

export interface ImageDiff {
  a: ImageSide;
  b: ImageSide;
  added: FileChange[];
  removed: FileChange[];
  changed: FileChange[];
  directories: DirectoryDelta[];
}

/** A file counts as changed when what a program would see differs: type, size, mode, owner or link. */
function differs(x: FsEntry, y: FsEntry): boolean {
  return x.type !== y.type || x.size !== y.size || x.mode !== y.mode || x.uid !== y.uid || x.gid !== y.gid || x.linkTarget !== y.linkTarget;
}

function topDir(path: string): string {
  const i = path.indexOf('/');
  return `/${i === -1 ? '' : path.slice(0, i)}`;
}

async function side(image: Image, fs: RootFs, reference: string): Promise<ImageSide> {
  let layerBytes = 0;
  for (const l of image.layers) layerBytes += (await l.tar()).size;
  let fileBytes = 0;
  let files = 0;
  // Hardlinks share their bytes: each inode counts once, as on disk.
  const inodes = new Set<number>();
  for (const e of fs.walk()) {
    if (e.type === 'dir') continue;
    files++;
    const inode = e.content?.inode;
    if (inode !== undefined && inodes.has(inode)) continue;
    if (inode !== undefined) inodes.add(inode);
    fileBytes += e.size;
  }
  const history = (image.config.history ?? []).filter((h) => !h.empty_layer);
  const layers: ImageSide['layers'] = [];
  let dockerSize = 0;
  for (const [i, l] of image.layers.entries()) {
    const stats = new LayerStats();
    for await (const e of readTarEntries(await l.tar(), `layer ${i + 1} of ${reference}`)) stats.add(e);
    dockerSize += stats.size;
    layers.push({ digest: l.digest, size: stats.size, createdBy: history[i]?.created_by ?? '' });
  }
  return { reference, id: image.configDigest, layerBytes, dockerSize, fileBytes, files, layers };
}

/**
 * Compares two images' merged filesystems (container-diff style): files added, removed and
 * changed, and bytes per top-level directory. Directories themselves are not listed.
 */
export async function diffImages(a: { image: Image; fs: RootFs; ref: string }, b: { image: Image; fs: RootFs; ref: string }): Promise<ImageDiff> {
  const result: ImageDiff = { a: await side(a.image, a.fs, a.ref), b: await side(b.image, b.fs, b.ref), added: [], removed: [], changed: [], directories: [] };
  const dirs = new Map<string, DirectoryDelta>();
  const dir = (p: string): DirectoryDelta => {
    const d = topDir(p);
    let delta = dirs.get(d);
    if (!delta) dirs.set(d, (delta = { dir: d, bytesA: 0, bytesB: 0, removed: 0, added: 0 }));
    return delta;
  };
  for (const x of a.fs.walk()) {
    if (x.type === 'dir') continue;
    dir(x.path).bytesA += x.size;
    const y = b.fs.lstat(x.path);
    if (!y || y.type === 'dir') {
      result.removed.push({ path: `/${x.path}`, sizeA: x.size });
      dir(x.path).removed += x.size;
    } else if (differs(x, y)) {
      result.changed.push({ path: `/${x.path}`, sizeA: x.size, sizeB: y.size });
      if (y.size < x.size) dir(x.path).removed += x.size - y.size;
      else dir(x.path).added += y.size - x.size;
    }
  }
  for (const y of b.fs.walk()) {
    if (y.type === 'dir') continue;
    dir(y.path).bytesB += y.size;
    const x = a.fs.lstat(y.path);
    if (!x || x.type === 'dir') {
      result.added.push({ path: `/${y.path}`, sizeB: y.size });
      dir(y.path).added += y.size;
    }
  }
  result.directories = [...dirs.values()].sort((p, q) => q.removed + q.added - (p.removed + p.added) || (p.dir < q.dir ? -1 : 1));
  return result;
}
