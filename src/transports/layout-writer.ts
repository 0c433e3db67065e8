import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header, type Pack } from 'tar-stream';

/** What tar-stream's pack.entry takes. */
export type TarHeader = Partial<Header> & { name: string };

/** A file to write: bytes in memory (metadata) or a stream of known size (layers). */
export type LayoutFile = { path: string; bytes: Buffer } | { path: string; size: number; open(): Readable };

/** Where layout files go: a directory, or members of a tar stream. */
export interface LayoutWriter {
  write(file: LayoutFile): Promise<void>;
}

export class DirLayoutWriter implements LayoutWriter {
  constructor(private readonly dir: string) {}
  async write(file: LayoutFile): Promise<void> {
    const target = join(this.dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    // Written under a temporary name and renamed, so a reader never sees half a blob.
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      if ('bytes' in file) await writeFile(tmp, file.bytes);
      else await pipeline(file.open(), createWriteStream(tmp));
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

export class TarLayoutWriter implements LayoutWriter {
  readonly pack: Pack = pack();
  private readonly dirs = new Set<string>();

  async write(file: LayoutFile): Promise<void> {
    for (let d = dirname(file.path); d !== '.' && !this.dirs.has(d); d = dirname(d)) {
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
}

/** Writes a file atomically: to a temporary sibling, renamed on success, removed on failure. */
export async function writeFileAtomically(path: string, produce: (out: Writable) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(4).toString('hex')}.whittle-tmp`);
  const out = createWriteStream(tmp);
  try {
    await produce(out);
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
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
  try {
    for await (const chunk of body) {
      if (!sink.write(chunk as Buffer)) await new Promise<void>((r) => sink.once('drain', () => r()));
    }
  } catch (err) {
    sink.destroy(err as Error);
    throw err;
  }
  (sink as unknown as { end(): void }).end();
  await done;
}
