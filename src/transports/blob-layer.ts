import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, Writable, pipeline as pipelineCb, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BadInputError, DigestMismatchError } from '../errors.js';
import type { Compression, Layer } from '../image/model.js';
import { openRangeStream, RangeReader, type FileRange } from '../tar/file-range.js';
import { HashingStream, digestHex } from '../util/digest.js';
import type { Workspace } from '../util/workspace.js';
import type { TarEntry } from '../tar/tar-reader.js';

/** Looks at the first bytes: layer media types lie often enough that the bytes decide. */
export async function detectCompression(range: FileRange): Promise<Compression> {
  if (range.size < 4) return 'none';
  const rr = new RangeReader();
  try {
    const head = await rr.read(range.path, range.start, 4);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await rr.close();
  }
}

/** A stream that fails at its end if what passed through does not hash to `expected`. */
export function verifyingStream(expected: string, what: string): Transform {
  const hasher = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      hasher.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const actual = `sha256:${hasher.digest('hex')}`;
      cb(actual === expected ? null : new DigestMismatchError(what, expected, actual));
    },
  });
}

export interface BlobLayerInit {
  blob: FileRange;
  digest: string;
  diffId: string;
  mediaType: string;
  compression: Compression;
  workspace: Workspace;
  what: string;
  /** Check the bytes against digest and diffId as they are read (false only for a trusted source). */
  verify: boolean;
  /** The tar's entries, listed by the source while it read the blob (uncompressed blobs only). */
  listed?: Promise<readonly TarEntry[] | undefined>;
}

let decompressed = 0;

/** A layer whose blob is a byte range on disk (a file, or a member of an archive). */
export class BlobLayer implements Layer {
  readonly digest: string;
  readonly diffId: string;
  readonly size: number;
  readonly mediaType: string;
  readonly compression: Compression;
  private tarPromise?: Promise<FileRange>;

  constructor(private readonly init: BlobLayerInit) {
    this.digest = init.digest;
    this.diffId = init.diffId;
    this.size = init.blob.size;
    this.mediaType = init.mediaType;
    this.compression = init.compression;
  }

  openBlob(): Readable {
    // pipeline, not pipe: a consumer that stops early must not leave the file open.
    if (!this.init.verify) return openRangeStream(this.init.blob);
    return pipelineCb(openRangeStream(this.init.blob), verifyingStream(this.digest, `${this.init.what} blob`), () => undefined);
  }

  tar(): Promise<FileRange> {
    this.tarPromise ??= this.prepareTar();
    return this.tarPromise;
  }

  async takeListedEntries(): Promise<readonly TarEntry[] | undefined> {
    const listed = this.compression === 'none' ? this.init.listed : undefined;
    // Given once, so the entries are not held after the root filesystem has them.
    delete this.init.listed;
    return listed;
  }

  private async prepareTar(): Promise<FileRange> {
    const { blob, what, workspace } = this.init;
    if (this.compression === 'none') {
      if (!this.init.verify) return blob;
      const actual = await hashRange(blob);
      if (actual !== this.diffId) throw new DigestMismatchError(what, this.diffId, actual);
      return blob;
    }
    if (this.compression !== 'gzip') {
      throw new BadInputError(`${what}: ${this.compression} layers are not supported yet`);
    }
    // The blob digest plus a counter: the same layer may appear twice in one image.
    const out = workspace.path(`layer-${digestHex(this.digest).slice(0, 16)}-${++decompressed}.tar`);
    const compressed = new HashingStream();
    const uncompressed = new HashingStream();
    try {
      await pipeline(openRangeStream(blob), compressed, createGunzip(), uncompressed, createWriteStream(out));
    } catch (err) {
      throw new BadInputError(`${what}: cannot decompress (${(err as Error).message})`, { cause: err });
    }
    if (compressed.digest() !== this.digest) throw new DigestMismatchError(what, this.digest, compressed.digest());
    if (uncompressed.digest() !== this.diffId) throw new DigestMismatchError(`${what} (uncompressed)`, this.diffId, uncompressed.digest());
    return { path: out, start: 0, size: uncompressed.bytes };
  }
}

/** sha256 of a byte range, streamed. */
export async function hashRange(range: FileRange): Promise<string> {
  const hasher = new HashingStream();
  await pipeline(openRangeStream(range), hasher, devNull());
  return hasher.digest();
}

function devNull(): Writable {
  return new Writable({
    write(_c: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void) {
      cb();
    },
  });
}
