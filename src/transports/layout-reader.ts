import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError, NotFoundError } from '../errors.js';
import { RangeReader, type FileRange } from '../tar/file-range.js';
import { readTarEntries } from '../tar/tar-reader.js';
import { cleanPath } from '../rootfs/paths.js';

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
  close(): Promise<void>;
}

const MAX_JSON = 64 << 20;

abstract class BaseLayoutReader implements LayoutReader {
  protected readonly reader = new RangeReader();
  abstract readonly what: string;
  abstract range(path: string): Promise<FileRange | undefined>;

  async readBytes(path: string): Promise<Buffer> {
    const r = await this.range(path);
    if (!r) throw new BadInputError(`${this.what}: ${path} is missing`);
    if (r.size > MAX_JSON) throw new BadInputError(`${this.what}: ${path} is too large for metadata (${r.size} bytes)`);
    return this.reader.read(r.path, r.start, r.size);
  }

  async readJson<T>(path: string): Promise<T> {
    const bytes = await this.readBytes(path);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (err) {
      throw new BadInputError(`${this.what}: ${path} is not valid JSON (${(err as Error).message})`);
    }
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}

export class DirLayoutReader extends BaseLayoutReader {
  constructor(private readonly dir: string) {
    super();
  }
  get what(): string {
    return this.dir;
  }
  async range(path: string): Promise<FileRange | undefined> {
    const file = join(this.dir, cleanPath(path));
    try {
      const s = await stat(file);
      return s.isFile() ? { path: file, start: 0, size: s.size } : undefined;
    } catch {
      return undefined;
    }
  }
}

export class TarLayoutReader extends BaseLayoutReader {
  private constructor(
    readonly what: string,
    private readonly members: Map<string, FileRange>,
  ) {
    super();
  }

  static async open(file: string): Promise<TarLayoutReader> {
    let size: number;
    try {
      const s = await stat(file);
      if (!s.isFile()) throw new BadInputError(`${file} is not a file`);
      size = s.size;
    } catch (err) {
      if (err instanceof BadInputError) throw err;
      throw new NotFoundError(`${file}: no such file`);
    }
    const members = new Map<string, FileRange>();
    for await (const e of readTarEntries({ path: file, start: 0, size }, file)) {
      if (e.name.startsWith('/') || e.name.split('/').includes('..')) {
        throw new BadInputError(`${file}: archive member ${JSON.stringify(e.name)} has an unsafe path`);
      }
      if (e.type === 'file') members.set(cleanPath(e.name), { path: file, start: e.dataOffset, size: e.size });
      if (e.type === 'hardlink' || e.type === 'symlink') {
        // Docker's save writes layer.tar symlinks between identical layers.
        const target = e.type === 'hardlink' ? cleanPath(e.linkname) : cleanPath(`${cleanPath(e.name)}/../${e.linkname}`);
        const r = members.get(target);
        if (r) members.set(cleanPath(e.name), r);
      }
    }
    return new TarLayoutReader(file, members);
  }

  async range(path: string): Promise<FileRange | undefined> {
    return this.members.get(cleanPath(path));
  }
}
