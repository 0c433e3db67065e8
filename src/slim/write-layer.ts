import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import type { FsEntry, RootFs } from '../rootfs/rootfs.js';
import { copyIntoPack, type TarHeader } from '../transports/layout-writer.js';
import { HashingStream } from '../util/digest.js';
import { countingStream, progress } from '../report/progress.js';
import type { KeepSet } from './keep-set.js';
import { withParents } from './layer-plan.js';

/** A directory the image must have even if the source lacked it (e.g. /tmp 1777). */
export interface RequiredDirectory {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/** Files up to this size are read whole; larger ones are streamed, so memory stays flat. */
const SMALL_FILE = 1 << 20;

export interface WrittenLayer {
  diffId: string;
  size: number;
  entries: number;
}

/**
 * Writes one layer as a deterministic tar: entries in byte order of their paths, parents
 * first, every mtime set to `mtime`, owners numeric. File bytes stream from the source layers;
 * hardlinked files are written once and linked after. Same input, same bytes.
 */
export async function writeLayerTar(fs: RootFs, keep: KeepSet, paths: readonly string[], outFile: string, opts: { mtime: number; required?: readonly RequiredDirectory[] }): Promise<WrittenLayer> {
  const p = pack();
  const hasher = new HashingStream();
  const done = pipeline(p as unknown as Readable, hasher, createWriteStream(outFile));
  const mtime = new Date(opts.mtime * 1000);
  const required = new Map((opts.required ?? []).map((d) => [d.path, d]));
  const firstPathOfInode = new Map<number, string>();
  let entries = 0;
  try {
    for (const path of withParents(paths)) {
      const entry = fs.lstat(path);
      const generated = keep.generatedContent(path);
      const base = { name: path, mtime, uname: '', gname: '' };
      if (generated) {
        await entry_(p, { ...base, type: 'file', mode: generated.mode, uid: generated.uid, gid: generated.gid, size: generated.content.length }, generated.content);
      } else if (!entry) {
        const req = required.get(path);
        await entry_(p, { ...base, type: 'directory', mode: req?.mode ?? 0o755, uid: req?.uid ?? 0, gid: req?.gid ?? 0 });
      } else {
        await writeEntry(fs, p, entry, base, firstPathOfInode);
      }
      entries++;
    }
    p.finalize();
    await done;
  } catch (err) {
    p.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  return { diffId: hasher.digest(), size: hasher.bytes, entries };
}

async function writeEntry(fs: RootFs, p: ReturnType<typeof pack>, e: FsEntry, base: TarHeader, firstPathOfInode: Map<number, string>): Promise<void> {
  const meta = { ...base, mode: e.mode, uid: e.uid, gid: e.gid, ...(Object.keys(e.xattrs).length ? { pax: paxXattrs(e.xattrs) } : {}) };
  switch (e.type) {
    case 'dir':
      return entry_(p, { ...meta, type: 'directory' });
    case 'symlink':
      return entry_(p, { ...meta, type: 'symlink', linkname: e.linkTarget });
    case 'char':
    case 'block':
      return entry_(p, { ...meta, type: e.type === 'char' ? 'character-device' : 'block-device', devmajor: e.devmajor, devminor: e.devminor });
    case 'fifo':
      return entry_(p, { ...meta, type: 'fifo' });
    case 'file': {
      const inode = e.content?.inode;
      const first = inode !== undefined ? firstPathOfInode.get(inode) : undefined;
      if (first !== undefined) return entry_(p, { ...meta, type: 'link', linkname: first });
      if (inode !== undefined) firstPathOfInode.set(inode, e.path);
      if (e.size <= SMALL_FILE) {
        // One positioned read on an open handle: a stream per file costs an open and a close each.
        const body = await fs.readContent(e, 0, e.size);
        progress().advance(body.length);
        return entry_(p, { ...meta, type: 'file', size: e.size }, body);
      }
      return copyIntoPack(p, { ...meta, type: 'file', size: e.size }, fs.openContent(e).pipe(countingStream()));
    }
  }
}

function paxXattrs(xattrs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]));
}

function entry_(p: ReturnType<typeof pack>, header: TarHeader, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body) p.entry(header, body, cb);
    else p.entry(header, cb);
  });
}
