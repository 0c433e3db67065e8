import { randomBytes } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header, type Pack } from 'tar-stream';
import { NotFoundError } from '../errors.js';

/** What tar-stream's pack.entry takes. */
export type TarHeader = Partial<Header> & { name: string };

/** A file to write: bytes in memory (metadata) or a stream of known size (layers). */
export type LayoutFile = { path: string; bytes: Buffer } | { path: string; size: number; open(): Readable };

/** Where layout files go: a directory, or members of a tar stream. */
export interface LayoutWriter {
  write(file: LayoutFile): Promise<void>;
}

/**
 * Writes layout files into a directory, each under a temporary name renamed into place, so a
 * reader never sees half a blob. Blobs already present (content-addressed) are not rewritten;
 * `created` lists what this writer added, so a failed write can take it back out.
 */
export class DirLayoutWriter implements LayoutWriter {
  readonly created: string[] = [];

  constructor(private readonly dir: string) {}

  async write(file: LayoutFile): Promise<void> {
    const target = join(this.dir, file.path);
    const size = 'bytes' in file ? file.bytes.length : file.size;
    if (file.path.startsWith('blobs/')) {
      const s = await stat(target).catch(() => undefined);
      if (s?.isFile() && s.size === size) return;
    }
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(4).toString('hex')}.whittle-tmp`;
    try {
      if ('bytes' in file) await writeFile(tmp, file.bytes);
      else await pipeline(file.open(), (await open(tmp, 'wx')).createWriteStream());
      const existed = await stat(target).then(() => true, () => false);
      await rename(tmp, target);
      if (!existed) this.created.push(target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

/** Writes layout files as members of a tar stream (`pack`), with parent directories first. */
export class TarLayoutWriter implements LayoutWriter {
  readonly pack: Pack = pack();
  private readonly dirs = new Set<string>();
  private readonly files = new Set<string>();

  async write(file: LayoutFile): Promise<void> {
    // A content-addressed blob written twice (a layer used twice) is one member.
    if (this.files.has(file.path)) return;
    this.files.add(file.path);
    const parents: string[] = [];
    for (let d = dirname(file.path); d !== '.' && !this.dirs.has(d); d = dirname(d)) parents.unshift(d);
    for (const d of parents) {
      this.dirs.add(d);
      await this.entry({ name: `${d}/`, type: 'directory', mode: 0o755 });
    }
    if ('bytes' in file) {
      await this.entry({ name: file.path, type: 'file', mode: 0o644, size: file.bytes.length }, file.bytes);
      return;
    }
    await copyIntoPack(this.pack, { name: file.path, type: 'file', mode: 0o644, size: file.size, mtime: new Date(0) }, file.open());
  }

  private entry(header: TarHeader, body?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (body) this.pack.entry({ mtime: new Date(0), ...header }, body, cb);
      else this.pack.entry({ mtime: new Date(0), ...header }, cb);
    });
  }

  finalize(): void {
    this.pack.finalize();
  }

  /**
   * Runs `produce` (which writes the members) and ends the archive; a failure destroys the
   * pack stream with the error, so whoever reads it sees the failure instead of a short tar.
   */
  async produce(produce: (w: TarLayoutWriter) => Promise<void>): Promise<void> {
    try {
      await produce(this);
      this.finalize();
    } catch (err) {
      this.pack.destroy(err as Error);
      throw err;
    }
  }
}

/** Writes a tar archive to `path` atomically, the members written by `produce`. */
export async function writeTarAtomically(path: string, produce: (w: TarLayoutWriter) => Promise<void>): Promise<void> {
  await writeFileAtomically(path, async (out) => {
    const w = new TarLayoutWriter();
    await Promise.all([pipeline(w.pack, out), w.produce(produce)]);
  });
}

/**
 * Writes a file atomically: to a temporary sibling, renamed on success, removed on failure,
 * so nothing half-written is ever found at `path`. `produce` must end `out`.
 */
export async function writeFileAtomically(path: string, produce: (out: Writable) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const d = await stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) throw new NotFoundError(`cannot write ${path}: no such directory ${dir}`);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.whittle-tmp`);
  const out = (await open(tmp, 'wx')).createWriteStream();
  try {
    await produce(out);
    if (!out.writableFinished) throw new Error(`internal: the writer of ${path} did not finish its output`);
    await closed(out);
    await rename(tmp, path);
  } catch (err) {
    await closed(out);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Waits until the file is closed (destroying the stream if it is still open). */
function closed(out: WriteStream): Promise<void> {
  if (out.closed) return Promise.resolve();
  return new Promise((resolve) => {
    out.once('close', () => resolve());
    if (!out.destroyed) out.destroy();
  });
}

/**
 * Streams a body into a tar-stream pack entry with backpressure; the size in the header must be
 * right, or tar-stream fails the entry.
 */
export async function copyIntoPack(p: Pack, header: TarHeader, body: Readable): Promise<void> {
  let done!: Promise<void>;
  const sink = await new Promise<ReturnType<Pack['entry']>>((resolveSink) => {
    done = new Promise<void>((resolve, reject) => {
      resolveSink(p.entry(header, (err) => (err ? reject(err) : resolve())));
    });
  });
  // The entry's failure reaches the caller through `done`; without a listener it would also crash the process.
  sink.on('error', () => undefined);
  try {
    for await (const chunk of body) {
      if (sink.destroyed) break;
      if (!sink.write(chunk as Buffer)) await drainedOrClosed(sink);
    }
  } catch (err) {
    sink.destroy(err as Error);
    // `done` fails too now; the body's error is the one to report.
    await done.catch(() => undefined);
    throw err;
  }
  (sink as unknown as { end(): void }).end();
  await done;
}

/** Resolves when the entry can take more, or is gone (a destroyed pack closes it instead of draining it). */
function drainedOrClosed(sink: ReturnType<Pack['entry']>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
  });
}
