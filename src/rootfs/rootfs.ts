import { Readable } from 'node:stream';
import { BadInputError, HostilePathError } from '../errors.js';
import type { Image } from '../image/model.js';
import { RangeReader, openRangeStream, type FileRange } from '../tar/file-range.js';
import { readTarEntries, type TarEntry } from '../tar/tar-reader.js';
import { basename, cleanPath, dirname, escapesRoot, joinPath, normalizeMemberName } from './paths.js';

export type FsEntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

/** Where a regular file's bytes are: inside the uncompressed tar of one layer. */
export interface FileContent {
  /** Index of the layer whose tar holds the bytes. */
  readonly layer: number;
  /** File holding that tar, and the absolute offset of the bytes in it. */
  readonly file: string;
  readonly offset: number;
  readonly size: number;
  /** Same number = same inode: hardlinks share it, so a repack can write them as links again. */
  readonly inode: number;
}

/** One path of the merged root filesystem, with the metadata of its last writer. */
export interface FsEntry {
  /** No leading slash; the root is "". */
  readonly path: string;
  readonly type: FsEntryType;
  /** Permission bits including setuid, setgid and sticky. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Bytes of content for files, 0 otherwise. */
  readonly size: number;
  /** Symlink target as written in the image. */
  readonly linkTarget: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: Readonly<Record<string, string>>;
  readonly content?: FileContent;
  /** Index of the layer that last wrote this entry. */
  readonly layer: number;
}

interface Node extends FsEntry {
  path: string;
  type: FsEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  size: number;
  linkTarget: string;
  devmajor: number;
  devminor: number;
  xattrs: Record<string, string>;
  content?: FileContent;
  layer: number;
  children?: Map<string, Node>;
}

export type ResolveError = 'missing' | 'loop' | 'not-a-directory';

/** The outcome of looking a path up with symlinks followed inside the root. */
export interface Resolution {
  /** The canonical path reached (symlinks resolved), even when nothing is there. */
  readonly path: string;
  readonly entry?: FsEntry;
  /** Every symlink passed through, in order: a file kept through a symlink keeps these too. */
  readonly symlinks: readonly string[];
  readonly error?: ResolveError;
}

/** Linux gives up after 40 symlinks in one lookup; so do we, and call it a loop. */
const MAX_SYMLINKS = 40;

export interface LayerSource {
  /** The uncompressed layer tar. */
  readonly range: FileRange;
  /** Names the layer in error messages. */
  readonly what: string;
}

/**
 * The merged root filesystem of an image: layers applied in order with OCI whiteouts and opaque
 * directories, hardlinks and symlinks kept as such. Holds metadata only; file contents stay in
 * the layer tars and are read with positioned reads, so memory grows with the number of files,
 * never with their bytes.
 */
export class RootFs {
  private readonly root: Node = newNode('', 'dir', -1);
  private readonly reader = new RangeReader();
  private nextInode = 1;

  /** `onLayer` is told as each layer is applied (for progress). */
  static async fromImage(image: Image, onLayer?: (layer: Image['layers'][number]) => void): Promise<RootFs> {
    const fs = new RootFs();
    for (const [i, layer] of image.layers.entries()) {
      const source = { range: await layer.tar(), what: `layer ${i + 1} (${layer.digest.slice(0, 19)})` };
      const listed = await layer.takeListedEntries?.();
      if (listed) fs.applyLayer(listed, i, source.range.path, source.what);
      else await fs.addLayer(source, i);
      onLayer?.(layer);
    }
    return fs;
  }

  static async fromLayers(layers: readonly LayerSource[]): Promise<RootFs> {
    const fs = new RootFs();
    for (const [i, layer] of layers.entries()) await fs.addLayer(layer, i);
    return fs;
  }

  private async addLayer(layer: LayerSource, index: number): Promise<void> {
    const entries: TarEntry[] = [];
    for await (const e of readTarEntries(layer.range, layer.what, this.reader)) entries.push(e);
    this.applyLayer(entries, index, layer.range.path, layer.what);
  }

  /**
   * Applies one layer. Whiteouts apply only to what lower layers left (OCI image-spec
   * layer.md), so they are applied first, then the layer's own entries in tar order.
   */
  applyLayer(entries: readonly TarEntry[], layer: number, file: string, what: string): void {
    const normalized = entries.map((e) => ({ e, path: normalizeMemberName(e.name, what) }));
    for (const { path } of normalized) {
      const name = basename(path);
      if (name === '.wh..wh..opq') {
        const dir = this.lookupLiteral(dirname(path));
        if (dir?.children) dir.children.clear();
      } else if (name.startsWith('.wh.')) {
        const parent = this.lookupLiteral(dirname(path));
        parent?.children?.delete(name.slice(4));
      }
    }
    for (const { e, path } of normalized) {
      const name = basename(path);
      if (name.startsWith('.wh.') || path === '') {
        if (path === '' && e.type === 'dir') setMeta(this.root, e, layer);
        continue;
      }
      this.applyEntry(e, path, layer, file, what);
    }
  }

  private applyEntry(e: TarEntry, path: string, layer: number, file: string, what: string): void {
    const parent = this.ensureDir(dirname(path), layer);
    const name = basename(path);
    const existing = parent.children!.get(name);
    if (e.type === 'dir') {
      if (existing?.type === 'dir') {
        setMeta(existing, e, layer);
        return;
      }
      const dir = newNode(path, 'dir', layer);
      setMeta(dir, e, layer);
      parent.children!.set(name, dir);
      return;
    }
    if (e.type === 'hardlink') {
      const targetPath = normalizeMemberName(e.linkname, what);
      const target = this.lookupLiteral(targetPath);
      if (!target || target.type === 'dir') {
        throw new BadInputError(`${what}: hardlink ${JSON.stringify(path)} points to ${JSON.stringify(e.linkname)}, which is ${target ? 'a directory' : 'not in the image'}`);
      }
      // A hardlink is the same inode: same bytes and metadata, even if the target is later
      // removed or replaced.
      const link: Node = { ...target, path, layer, children: undefined };
      parent.children!.set(name, link);
      return;
    }
    if (e.type === 'symlink' && !e.linkname.startsWith('/') && escapesRoot(joinPath(dirname(path), e.linkname))) {
      throw new HostilePathError(`${what}: symlink ${JSON.stringify(path)} -> ${JSON.stringify(e.linkname)} points outside the image root`);
    }
    const node = newNode(path, e.type, layer);
    setMeta(node, e, layer);
    if (e.type === 'symlink') node.linkTarget = e.linkname;
    if (e.type === 'file') {
      node.size = e.size;
      node.content = { layer, file, offset: e.dataOffset, size: e.size, inode: this.nextInode++ };
    }
    parent.children!.set(name, node);
  }

  /** Parents named by a member path are directories of that layer (as overlayfs shows them). */
  private ensureDir(path: string, layer: number): Node {
    let node = this.root;
    if (path === '') return node;
    let sofar = '';
    for (const part of path.split('/')) {
      sofar = joinPath(sofar, part);
      let child = node.children!.get(part);
      if (!child || child.type !== 'dir') {
        child = newNode(sofar, 'dir', layer);
        child.mode = 0o755;
        node.children!.set(part, child);
      }
      node = child;
    }
    return node;
  }

  /** The entry at exactly this path, symlinks not followed on the way. */
  private lookupLiteral(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    if (path === '') return node;
    for (const part of path.split('/')) {
      node = node?.children?.get(part);
      if (!node) return undefined;
    }
    return node;
  }

  /** lstat: the entry at this path with the last component not followed; parents are. */
  lstat(path: string): FsEntry | undefined {
    return this.resolve(path, { followFinal: false }).entry;
  }

  /** stat: the entry this path leads to, symlinks followed. */
  stat(path: string): FsEntry | undefined {
    return this.resolve(path).entry;
  }

  /**
   * Resolves a path as the kernel would inside a chroot: absolute symlinks restart at the
   * root, ".." stops at the root, so nothing ever escapes. Accepts "/usr/bin" or "usr/bin".
   */
  resolve(path: string, opts: { followFinal?: boolean } = {}): Resolution {
    const followFinal = opts.followFinal ?? true;
    const symlinks: string[] = [];
    let pending = splitPath(path);
    let stack: Node[] = [];
    let hops = 0;
    const here = (): Node => stack[stack.length - 1] ?? this.root;
    const currentPath = (): string => here().path;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        stack.pop();
        continue;
      }
      const dir = here();
      if (dir.type !== 'dir') {
        return { path: cleanPath([currentPath(), part, ...pending].join('/')), symlinks, error: 'not-a-directory' };
      }
      const child = dir.children!.get(part);
      if (!child) {
        return { path: cleanPath([currentPath(), part, ...pending].join('/')), symlinks, error: 'missing' };
      }
      const isLast = pending.length === 0;
      if (child.type === 'symlink' && (!isLast || followFinal)) {
        if (++hops > MAX_SYMLINKS) return { path: child.path, symlinks, error: 'loop' };
        symlinks.push(child.path);
        if (child.linkTarget.startsWith('/')) stack = [];
        pending = [...splitPath(child.linkTarget), ...pending];
        continue;
      }
      stack.push(child);
    }
    const entry = here();
    return { path: entry.path, entry, symlinks };
  }

  /** Entries directly inside a directory (not following a final symlink), sorted by name. */
  list(dirPath: string): FsEntry[] {
    const dir = this.resolve(dirPath).entry as Node | undefined;
    if (!dir?.children) return [];
    return [...dir.children.values()].sort((a, b) => compareNames(a.path, b.path));
  }

  /** Every entry, parents before children, siblings sorted by name; the root is not included. */
  *walk(from = ''): Generator<FsEntry> {
    const start = from === '' ? this.root : this.lookupLiteral(cleanPath(from));
    if (!start) return;
    if (start !== this.root) yield start;
    if (!start.children) return;
    const stack: Node[] = [...start.children.values()].sort((a, b) => compareNames(b.path, a.path));
    while (stack.length > 0) {
      const node = stack.pop()!;
      yield node;
      if (node.children && node.children.size > 0) {
        const kids = [...node.children.values()].sort((a, b) => compareNames(b.path, a.path));
        stack.push(...kids);
      }
    }
  }

  get rootEntry(): FsEntry {
    return this.root;
  }

  /** Reads a whole file, following symlinks. */
  async readFile(path: string): Promise<Buffer> {
    const r = this.resolve(path);
    if (!r.entry) throw new BadInputError(`cannot read /${cleanPath(path)}: ${r.error ?? 'missing'}`);
    if (r.entry.type !== 'file') throw new BadInputError(`cannot read /${r.path}: not a regular file`);
    return this.readContent(r.entry, 0, r.entry.size);
  }

  /** Reads part of a file's content: `length` bytes from `start`, fewer at the end. */
  async readContent(entry: FsEntry, start: number, length: number): Promise<Buffer> {
    const c = entry.content;
    if (!c || start >= c.size) return Buffer.alloc(0);
    const n = Math.min(length, c.size - start);
    return this.reader.read(c.file, c.offset + start, n);
  }

  /** Streams a file's content without holding it in memory. */
  openContent(entry: FsEntry): Readable {
    const c = entry.content;
    if (!c) return Readable.from([]);
    return openRangeStream({ path: c.file, start: c.offset, size: c.size });
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}

function newNode(path: string, type: FsEntryType, layer: number): Node {
  return {
    path,
    type,
    mode: type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: 0,
    size: 0,
    linkTarget: '',
    devmajor: 0,
    devminor: 0,
    xattrs: {},
    layer,
    children: type === 'dir' ? new Map() : undefined,
  };
}

function setMeta(node: Node, e: TarEntry, layer: number): void {
  node.mode = e.mode;
  node.uid = e.uid;
  node.gid = e.gid;
  node.uname = e.uname;
  node.gname = e.gname;
  node.mtime = e.mtime;
  node.devmajor = e.devmajor;
  node.devminor = e.devminor;
  node.xattrs = e.xattrs;
  node.layer = layer;
}

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/** Byte order of the path strings, so output is the same on every machine. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
