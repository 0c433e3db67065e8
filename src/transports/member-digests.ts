import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { extract } from 'tar-stream';
import type { FileRange } from '../tar/file-range.js';

/**
 * sha256 of tar members computed while the tar streamed past (a daemon's save being spooled to
 * disk), so that checking layers against their digests does not read them a second time.
 */
const known = new Map<string, string>();
const key = (r: FileRange): string => `${r.path}\0${r.start}\0${r.size}`;

export function knownDigest(range: FileRange): string | undefined {
  return known.get(key(range));
}

export function forgetDigestsOf(path: string): void {
  for (const k of known.keys()) if (k.startsWith(`${path}\0`)) known.delete(k);
}

/**
 * A pass-through for a tar stream being written to `path` that hashes every member on the way.
 * The digests become known when the stream ends.
 */
export function hashMembersInPassing(path: string): Transform {
  const parser = extract();
  parser.on('entry', (header, stream, next) => {
    const hash = createHash('sha256');
    // tar-stream gives the offset of the member's header; its data follows the 512-byte block.
    const start = stream.offset + 512;
    stream.on('data', (c: unknown) => hash.update(c as Buffer));
    stream.on('end', () => {
      if (header.type === 'file' || header.type === 'contiguous-file') known.set(key({ path, start, size: header.size }), `sha256:${hash.digest('hex')}`);
      next();
    });
  });
  let failed: Error | undefined;
  parser.on('error', (err: Error) => {
    // Not a tar we can follow: the layers are then hashed when read, as for any archive.
    failed = err;
  });
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      if (failed || parser.write(chunk)) cb(null, chunk);
      else parser.once('drain', () => cb(null, chunk));
    },
    flush(cb: TransformCallback) {
      if (failed) return cb();
      parser.once('finish', () => cb());
      parser.once('error', () => cb());
      (parser as unknown as { end(): void }).end();
    },
  });
}
