import { BadInputError } from '../../errors.js';

/** What the loader needs to know about one ELF object. */
export interface ElfInfo {
  class: 32 | 64;
  littleEndian: boolean;
  /** e_machine: 62 x86_64, 3 i386, 183 aarch64, 40 arm, ... */
  machine: number;
  /** e_type: 2 executable, 3 shared object (also PIE executables). */
  type: number;
  interpreter?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
  soname?: string;
  /** No PT_INTERP and no DT_NEEDED: nothing for a loader to do. */
  isStatic: boolean;
}

/** Reads bytes of the file on demand, so a 100 MB binary costs a few small reads. */
export type ByteSource = (offset: number, length: number) => Promise<Buffer>;

export class ElfParseError extends BadInputError {}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

export function isElfMagic(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

export const ELF_MACHINE_PLATFORM: Readonly<Record<number, string>> = {
  3: 'i686',
  62: 'x86_64',
  183: 'aarch64',
  40: 'arm',
  21: 'ppc64le',
  22: 's390x',
  243: 'riscv64',
};

export async function parseElf(read: ByteSource, what: string): Promise<ElfInfo> {
  const ident = await read(0, 64);
  if (!isElfMagic(ident)) throw new ElfParseError(`${what}: not an ELF file`);
  const cls = ident[4] === 2 ? 64 : ident[4] === 1 ? 32 : 0;
  if (cls === 0) throw new ElfParseError(`${what}: bad ELF class`);
  const le = ident[5] === 1;
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const word = (b: Buffer, o: number): number => (cls === 64 ? u64(b, o) : u32(b, o));
  const type = u16(ident, 16);
  const machine = u16(ident, 18);
  const phoff = cls === 64 ? u64(ident, 32) : u32(ident, 28);
  const phentsize = u16(ident, cls === 64 ? 54 : 42);
  const phnum = u16(ident, cls === 64 ? 56 : 44);
  if (phnum > 4096 || phentsize < (cls === 64 ? 56 : 32)) throw new ElfParseError(`${what}: corrupt ELF program headers`);
  const ph = await read(phoff, phentsize * phnum);
  if (ph.length < phentsize * phnum) throw new ElfParseError(`${what}: ELF program headers are truncated`);
  const loads: Array<{ vaddr: number; offset: number; filesz: number }> = [];
  let interpreter: string | undefined;
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    const ptype = u32(ph, o);
    const offset = cls === 64 ? u64(ph, o + 8) : u32(ph, o + 4);
    const vaddr = cls === 64 ? u64(ph, o + 16) : u32(ph, o + 8);
    const filesz = cls === 64 ? u64(ph, o + 32) : u32(ph, o + 16);
    if (ptype === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (ptype === PT_INTERP) interpreter = cString(await read(offset, Math.min(filesz, 4096)), 0);
    else if (ptype === PT_DYNAMIC) dynamic = { offset, size: filesz };
  }
  const info: ElfInfo = { class: cls, littleEndian: le, machine, type, needed: [], rpath: [], runpath: [], isStatic: true, ...(interpreter ? { interpreter } : {}) };
  if (dynamic && dynamic.size > 0) {
    const dyn = await read(dynamic.offset, Math.min(dynamic.size, 1 << 20));
    const entsize = cls === 64 ? 16 : 8;
    const entries: Array<[number, number]> = [];
    for (let o = 0; o + entsize <= dyn.length; o += entsize) {
      const tag = word(dyn, o);
      if (tag === DT_NULL) break;
      entries.push([tag, word(dyn, o + entsize / 2)]);
    }
    const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
    if (strtabAddr !== undefined) {
      const seg = loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
      if (!seg) throw new ElfParseError(`${what}: DT_STRTAB is outside every PT_LOAD segment`);
      const strtabOffset = seg.offset + (strtabAddr - seg.vaddr);
      const strings = async (off: number): Promise<string> => cString(await read(strtabOffset + off, 4096), 0);
      for (const [tag, val] of entries) {
        if (tag === DT_NEEDED) info.needed.push(await strings(val));
        else if (tag === DT_RPATH) info.rpath.push(...splitPathList(await strings(val)));
        else if (tag === DT_RUNPATH) info.runpath.push(...splitPathList(await strings(val)));
        else if (tag === DT_SONAME) info.soname = await strings(val);
      }
    }
  }
  info.isStatic = !interpreter && info.needed.length === 0;
  return info;
}

function splitPathList(s: string): string[] {
  return s.split(':').filter((p) => p !== '');
}

function cString(b: Buffer, start: number): string {
  const end = b.indexOf(0, start);
  return b.subarray(start, end === -1 ? b.length : end).toString('utf8');
}
