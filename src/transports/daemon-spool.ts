import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { RangeReader } from '../tar/file-range.js';
import { readHeaderBlock, readTarEntries, type HeaderBlock, type TarEntry } from '../tar/tar-reader.js';

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
    this.headerFill = 0;
    let block: HeaderBlock | undefined;
    try {
      block = readHeaderBlock(this.header, 'the save stream', dataStart - BLOCK);
    } catch {
      // Not a tar we can follow: report nothing more; the layers are read as from any archive.
    }
    if (!block) {
      this.stopped = true;
      return;
    }
    const regular = block.typeflag === '0' || block.typeflag === '7';
    this.current = regular && block.size > 0 ? { name: block.name, start: dataStart, size: block.size } : undefined;
    this.dataLeft = block.size;
    this.padLeft = (BLOCK - (block.size % BLOCK)) % BLOCK;
  }
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
