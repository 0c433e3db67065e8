import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError, DigestMismatchError, NotFoundError } from '../errors.js';
import { RangeReader, type FileRange } from '../tar/file-range.js';
import { readTarEntries } from '../tar/tar-reader.js';
import { cleanPath } from '../rootfs/paths.js';
import { sha256Hex } from '../util/digest.js';

/**
 * Files of an image layout, wherever they are: a directory (oci:) or members of a tar
 * (docker-archive:, oci-archive:). A tar is indexed once; members are byte ranges of it,
 * so nothing is extracted.
 */
export interface LayoutReader {
  /** Names the layout in messages. */
  readonly what: string;
  range(path: string): Promise<FileRange | undefined>;
  readJson<T>(path: string): Promise<T>;
  readBytes(path: string): Promise<Buffer>;
  /** Reads a small blob and checks it hashes to `digest`. */
  readVerified(path: string, digest: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** Manifests, indexes and configs are small; anything bigger is not metadata. */
const MAX_METADATA = 64 << 20;

abstract class BaseLayoutReader implements LayoutReader {
  protected readonly reader = new RangeReader();
  abstract readonly what: string;
  abstract range(path: string): Promise<FileRange | undefined>;

  async readBytes(path: string): Promise<Buffer> {
    const r = await this.range(path);
    if (!r) throw new BadInputError(`${this.what}: ${path} is missing`);
    if (r.size > MAX_METADATA) throw new BadInputError(`${this.what}: ${path} is too large for metadata (${r.size} bytes)`);
    return this.reader.read(r.path, r.start, r.size);
  }

  async readVerified(path: string, digest: string): Promise<Buffer> {
    const bytes = await this.readBytes(path);
    const actual = sha256Hex(bytes);
    if (actual !== digest) throw new DigestMismatchError(`${this.what}: ${path}`, digest, actual);
    return bytes;
  }

  async readJson<T>(path: string): Promise<T> {
    return parseJson<T>(await this.readBytes(path), `${this.what}: ${path}`);
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}

export function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new BadInputError(`${what} is not valid JSON (${(err as Error).message})`);
  }
}

export class DirLayoutReader extends BaseLayoutReader {
  private constructor(private readonly dir: string) {
    super();
  }

  static async open(dir: string): Promise<DirLayoutReader> {
    const s = await stat(dir).catch(() => undefined);
    if (!s) throw new NotFoundError(`${dir}: no such OCI layout directory`);
    if (!s.isDirectory()) throw new BadInputError(`${dir} is not a directory (an oci: layout is a directory; use oci-archive: for a tar)`);
    return new DirLayoutReader(dir);
  }

  get what(): string {
    return this.dir;
  }

  async range(path: string): Promise<FileRange | undefined> {
    // cleanPath keeps ".." from leaving the directory; blob paths come from validated digests anyway.
    const file = join(this.dir, cleanPath(path));
    const s = await stat(file).catch(() => undefined);
    return s?.isFile() ? { path: file, start: 0, size: s.size } : undefined;
  }
}

export class TarLayoutReader extends BaseLayoutReader {
  private constructor(
    readonly what: string,
    private readonly members: Map<string, FileRange>,
  ) {
    super();
  }

  /** Indexes the archive's members; a hostile member name fails the whole archive. */
  static async open(file: string): Promise<TarLayoutReader> {
    const s = await stat(file).catch(() => undefined);
    if (!s) throw new NotFoundError(`${file}: no such file`);
    if (!s.isFile()) throw new BadInputError(`${file} is not a file (an archive transport needs a tar file)`);
    const members = new Map<string, FileRange>();
    const links: Array<{ name: string; target: string }> = [];
    for await (const e of readTarEntries({ path: file, start: 0, size: s.size }, file)) {
      if (e.name.startsWith('/') || e.name.split('/').includes('..')) {
        throw new BadInputError(`${file}: archive member ${JSON.stringify(e.name)} has an unsafe path (absolute or with "..")`);
      }
      const name = cleanPath(e.name);
      if (e.type === 'file') members.set(name, { path: file, start: e.dataOffset, size: e.size });
      // Legacy `docker save` writes a layer shared by two images once and links the other layer.tar to it.
      else if (e.type === 'hardlink') links.push({ name, target: cleanPath(e.linkname) });
      else if (e.type === 'symlink') links.push({ name, target: cleanPath(`${name}/../${e.linkname}`) });
    }
    // Links are resolved after indexing: their targets may come later in the archive.
    for (let pass = 0; pass < 8; pass++) {
      let changed = false;
      for (const l of links) {
        const r = members.get(l.target);
        if (r && !members.has(l.name)) {
          members.set(l.name, r);
          changed = true;
        }
      }
      if (!changed) break;
    }
    return new TarLayoutReader(file, members);
  }

  async range(path: string): Promise<FileRange | undefined> {
    return this.members.get(cleanPath(path));
  }
}
