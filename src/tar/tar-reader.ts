import { BadInputError } from '../errors.js';
import type { FileRange } from './file-range.js';
import { RangeReader } from './file-range.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'dir' | 'char' | 'block' | 'fifo';

/** One tar member, with where its data sits in the file so it can be read later. */
export interface TarEntry {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** Seconds since the epoch; may carry a fraction from pax. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax `SCHILY.xattr.*` records. */
  xattrs: Record<string, string>;
  /** Absolute offset of the member's data in the file that holds the tar. */
  dataOffset: number;
}

const BLOCK = 512;

/** Shared by every entry without extended attributes: most of them, and one object less each. */
const NO_XATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** User and group names repeat across thousands of entries; keep one copy of each. */
const interned = new Map<string, string>();
function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size < 10_000) interned.set(s, s);
  return s;
}

/**
 * Reads the members of a tar that lies in a file range, with positioned reads: headers only,
 * so listing a layer costs a few syscalls per file whatever the file sizes are.
 * Understands ustar, GNU long names (L/K) and pax (x/g) records.
 */
export async function* readTarEntries(range: FileRange, what: string, reader?: RangeReader): AsyncGenerator<TarEntry> {
  const own = reader ? undefined : new RangeReader();
  const rr = reader ?? own!;
  const window = new ReadWindow(rr, range);
  try {
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    let globalPax: Record<string, string> = {};
    while (true) {
      if (pos + BLOCK > range.size) {
        // A tar that ends without its two zero blocks is accepted only if it ends exactly here.
        if (pos === range.size) return;
        throw new BadInputError(`${what}: tar is truncated at byte ${pos} of ${range.size}`);
      }
      const header = await window.read(pos, BLOCK);
      const block = readHeaderBlock(header, what, pos);
      if (!block) return;
      const { typeflag, size } = block;
      const dataStart = pos + BLOCK;
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
      // Special members carry metadata for the next one; their data is small and read whole.
      if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
        if (dataStart + size > range.size) throw new BadInputError(`${what}: tar is truncated inside a header record`);
        const data = await window.read(dataStart, size);
        if (typeflag === 'L') longName = cString(data);
        else if (typeflag === 'K') longLink = cString(data);
        else if (typeflag === 'x') pax = { ...pax, ...parsePax(data, what) };
        else globalPax = { ...globalPax, ...parsePax(data, what) };
        pos = next;
        continue;
      }
      const records = { ...globalPax, ...pax };
      const name = records.path ?? longName ?? block.name;
      const linkname = records.linkpath ?? longLink ?? cString(header.subarray(157, 257));
      const entrySize = records.size !== undefined ? Number(records.size) : size;
      const realNext = records.size !== undefined ? dataStart + Math.ceil(entrySize / BLOCK) * BLOCK : next;
      const type = entryType(typeflag, name);
      const dataSize = type === 'file' ? entrySize : 0;
      if (dataStart + dataSize > range.size) {
        throw new BadInputError(`${what}: tar is truncated inside ${JSON.stringify(name)}`);
      }
      let xattrs: Record<string, string> = NO_XATTRS;
      for (const [k, v] of Object.entries(records)) {
        if (k.startsWith('SCHILY.xattr.')) xattrs = { ...xattrs, [k.slice('SCHILY.xattr.'.length)]: v };
      }
      yield {
        name,
        type,
        mode: readNumber(header, 100, 8, what) & 0o7777,
        uid: records.uid !== undefined ? Number(records.uid) : readNumber(header, 108, 8, what),
        gid: records.gid !== undefined ? Number(records.gid) : readNumber(header, 116, 8, what),
        uname: intern(records.uname ?? cString(header.subarray(265, 297))),
        gname: intern(records.gname ?? cString(header.subarray(297, 329))),
        size: dataSize,
        mtime: records.mtime !== undefined ? Number(records.mtime) : readNumber(header, 136, 12, what),
        linkname,
        devmajor: readNumber(header, 329, 8, what),
        devminor: readNumber(header, 337, 8, what),
        xattrs,
        dataOffset: range.start + dataStart,
      };
      longName = undefined;
      longLink = undefined;
      pax = {};
      pos = realNext;
    }
  } finally {
    await own?.close();
  }
}

/** What one header block says on its own (no pax or GNU long-name records applied). */
export interface HeaderBlock {
  /** The ustar name, with its prefix. */
  name: string;
  typeflag: string;
  size: number;
}

/**
 * Reads one 512-byte header block: undefined for a zero block (the end of the archive); a
 * BadInputError for a bad checksum or number field. `pos` is the block's offset, for the message.
 */
export function readHeaderBlock(header: Buffer, what: string, pos: number): HeaderBlock | undefined {
  if (isZeroBlock(header)) return undefined;
  verifyChecksum(header, what, pos);
  const ustarName = cString(header.subarray(0, 100));
  const prefix = isUstar(header) ? cString(header.subarray(345, 500)) : '';
  return { name: prefix ? `${prefix}/${ustarName}` : ustarName, typeflag: String.fromCharCode(header[156] || 0x30), size: readNumber(header, 124, 12, what) };
}

function entryType(flag: string, name: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return name.endsWith('/') ? 'dir' : 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      // Unknown types (e.g. GNU sparse 'S') are read as files so their bytes are kept.
      return 'file';
  }
}

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function isUstar(h: Buffer): boolean {
  return h.subarray(257, 262).toString('latin1') === 'ustar';
}

function verifyChecksum(h: Buffer, what: string, pos: number): void {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  const stored = readNumber(h, 148, 8, what);
  if (stored !== unsigned && stored !== signed) {
    throw new BadInputError(`${what}: not a tar, or corrupt (bad header checksum at byte ${pos})`);
  }
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function readNumber(h: Buffer, off: number, len: number, what: string): number {
  const field = h.subarray(off, off + len);
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < len; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new BadInputError(`${what}: not a tar, or corrupt (bad number field ${JSON.stringify(text)})`);
  return parseInt(text, 8);
}

function parsePax(data: Buffer, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const len = parseInt(data.subarray(i, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > data.length) {
      throw new BadInputError(`${what}: corrupt pax header`);
    }
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Reads ahead in 256 kB windows: headers of small files sit close together, so most header
 * reads are served from memory instead of one syscall each.
 */
class ReadWindow {
  private start = 0;
  private buf: Buffer = Buffer.alloc(0);
  private static readonly SIZE = 256 * 1024;

  constructor(
    private readonly reader: RangeReader,
    private readonly range: FileRange,
  ) {}

  /** `length` bytes at `pos` (relative to the range). */
  async read(pos: number, length: number): Promise<Buffer> {
    if (pos >= this.start && pos + length <= this.start + this.buf.length) {
      return this.buf.subarray(pos - this.start, pos - this.start + length);
    }
    if (length > ReadWindow.SIZE) return this.reader.read(this.range.path, this.range.start + pos, length);
    const want = Math.min(ReadWindow.SIZE, this.range.size - pos);
    if (want < length) return this.reader.read(this.range.path, this.range.start + pos, length);
    this.buf = await this.reader.read(this.range.path, this.range.start + pos, want);
    this.start = pos;
    return this.buf.subarray(0, length);
  }
}
