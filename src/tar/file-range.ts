import { createReadStream, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BadInputError } from '../errors.js';

/** A byte range of a file on disk: a whole blob file, or a tar member inside an archive. */
export interface FileRange {
  readonly path: string;
  readonly start: number;
  readonly size: number;
}

/**
 * Reads up to this size are synchronous (tar headers, ELF headers, small files): from the page
 * cache they take microseconds, and a round trip to the thread pool costs more than the read.
 */
const SYNC_READ = 1 << 20;

/** Large ranges (whole layers) are read in 1 MB chunks: with 64 kB ones, a GB layer costs 16k round trips to the thread pool. */
const LARGE_READ = 1 << 20;

export function openRangeStream(range: FileRange): Readable {
  if (range.size === 0) return Readable.from([]);
  const highWaterMark = Math.max(64 * 1024, Math.min(range.size, LARGE_READ));
  return createReadStream(range.path, { start: range.start, end: range.start + range.size - 1, highWaterMark });
}

/**
 * Positioned reads over many files with a small cache of open handles: file contents are
 * read straight out of layer tars, never extracted.
 */
export class RangeReader {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  private handle(path: string): Promise<FileHandle> {
    let h = this.handles.get(path);
    if (!h) {
      h = open(path, 'r');
      this.handles.set(path, h);
    }
    return h;
  }

  /** Reads exactly `length` bytes at `position`; a short read means the file is truncated. */
  async read(path: string, position: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    if (length === 0) return buf;
    const fh = await this.handle(path);
    let done = 0;
    while (done < length) {
      const bytesRead = length - done <= SYNC_READ ? readSync(fh.fd, buf, done, length - done, position + done) : (await fh.read(buf, done, length - done, position + done)).bytesRead;
      if (bytesRead === 0) throw new BadInputError(`${path} is truncated: wanted ${length} bytes at offset ${position}`);
      done += bytesRead;
    }
    return buf;
  }

  /** Reads up to `length` bytes; returns fewer at end of file. */
  async readUpTo(path: string, position: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    const fh = await this.handle(path);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(async (h) => (await h).close().catch(() => undefined)));
  }
}
