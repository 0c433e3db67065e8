import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { RangeReader } from '../tar/file-range.js';
import { readTarEntries, type TarEntry } from '../tar/tar-reader.js';

const BLOCK = 512;

/** A member of the save tar whose bytes are complete in the stream. */
interface Member {
  name: string;
  start: number;
  size: number;
}

/**
 * Follows the framing of the outer tar (a `docker save`) over chunks as they come, and reports
 * each regular member once its last byte has passed. Only ustar names are read: save members
 * (`<id>/layer.tar`, `blobs/sha256/<hex>`) always fit, and anything else is simply not reported.
 */
class SaveTarFraming {
  private offset = 0;
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private dataLeft = 0;
  private padLeft = 0;
  private current: Member | undefined;
  private stopped = false;

  /** Feeds one chunk; returns the members completed by it. */
  write(chunk: Buffer): Member[] {
    const done: Member[] = [];
    let i = 0;
    while (i < chunk.length && !this.stopped) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - i);
        this.dataLeft -= n;
        i += n;
        if (this.dataLeft === 0 && this.current) done.push(this.current);
      } else if (this.padLeft > 0) {
        const n = Math.min(this.padLeft, chunk.length - i);
        this.padLeft -= n;
        i += n;
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - i);
        chunk.copy(this.header, this.headerFill, i, i + n);
        this.headerFill += n;
        i += n;
        if (this.headerFill === BLOCK) this.readHeader(this.offset + i);
      }
    }
    this.offset += chunk.length;
    return done;
  }

  private readHeader(dataStart: number): void {
    const h = this.header;
    this.headerFill = 0;
    // The end of the archive, or something that is not a tar: stop following, report nothing more.
    if (h.every((b) => b === 0) || !checksumMatches(h)) {
      this.stopped = true;
      return;
    }
    const size = parseInt(h.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0 || h[124]! & 0x80) {
      this.stopped = true;
      return;
    }
    const type = h[156];
    const name = cString(h, 0, 100);
    const prefix = h.toString('latin1', 257, 263) === 'ustar\0' ? cString(h, 345, 155) : '';
    const regular = type === 0x30 || type === 0;
    this.current = regular && size > 0 ? { name: prefix ? `${prefix}/${name}` : name, start: dataStart, size } : undefined;
    this.dataLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
  }
}

function cString(b: Buffer, start: number, length: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function checksumMatches(h: Buffer): boolean {
  let sum = 0;
  for (let k = 0; k < BLOCK; k++) sum += k >= 148 && k < 156 ? 32 : h[k]!;
  return parseInt(h.toString('latin1', 148, 156).replace(/\0.*$/s, '').trim(), 8) === sum;
}

/**
 * Writes a daemon's save stream to `path` and, while the rest still streams in, lists the
 * entries of each member that is a tar (the layers) from what is already on disk. The main
 * thread mostly waits on the daemon during a save, so merging the layers afterwards no longer
 * has to read their headers. A member that is not a tar, or not a whole one, is just not listed:
 * the layer is then read as from any archive, with the errors that reading gives.
 */
export class DaemonSpool extends Writable {
  private readonly framing = new SaveTarFraming();
  private handle: FileHandle | undefined;
  private written = 0;
  private readonly waiting: Member[] = [];
  private readonly reader = new RangeReader();
  private listing: Promise<void> = Promise.resolve();
  /** Entries of the members listed, by member name. */
  readonly listed = new Map<string, Promise<readonly TarEntry[] | undefined>>();

  constructor(readonly path: string) {
    super({ highWaterMark: 4 << 20 });
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.path, 'wx', 0o600).then((h) => {
      this.handle = h;
      cb();
    }, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    for (const b of buffers) this.waiting.push(...this.framing.write(b));
    this.handle!.writev(buffers, this.written).then(({ bytesWritten }) => {
      this.written += bytesWritten;
      this.listReadyMembers();
      cb();
    }, cb);
  }

  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.handle!.close().then(() => {
      this.handle = undefined;
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const h = this.handle;
    this.handle = undefined;
    void this.close();
    if (h) h.close().then(() => cb(err), () => cb(err));
    else cb(err);
  }

  /** Waits for listing to finish and releases the reader. */
  async close(): Promise<void> {
    await this.listing;
    await this.reader.close();
  }

  private listReadyMembers(): void {
    while (this.waiting.length > 0 && this.waiting[0]!.start + this.waiting[0]!.size <= this.written) {
      const m = this.waiting.shift()!;
      // One member at a time, in stream order: listing must not compete with the stream for long.
      const entries = this.listing.then(() => this.listMember(m));
      this.listing = entries.then(() => undefined);
      this.listed.set(m.name, entries);
    }
  }

  private async listMember(m: Member): Promise<readonly TarEntry[] | undefined> {
    try {
      const entries: TarEntry[] = [];
      for await (const e of readTarEntries({ path: this.path, start: m.start, size: m.size }, m.name, this.reader)) entries.push(e);
      return entries;
    } catch {
      return undefined;
    }
  }
}
