/**
 * Synthetic ELF files for loader tests: an ELF header, PT_LOAD over the whole file (vaddr =
 * offset, so DT_STRTAB's address is its offset), optional PT_INTERP, and PT_DYNAMIC with
 * DT_NEEDED, DT_RPATH, DT_RUNPATH and DT_SONAME. ELF32 or ELF64, either byte order.
 */
export interface ElfSpec {
  bits?: 32 | 64;
  bigEndian?: boolean;
  /** e_machine: 62 x86_64 (default), 3 i386, 183 aarch64. */
  machine?: number;
  /** e_type: 2 executable, 3 shared object (default 3). */
  type?: number;
  interp?: string;
  needed?: string[];
  rpath?: string;
  runpath?: string;
  soname?: string;
}

const DT = { NEEDED: 1, STRTAB: 5, SONAME: 14, RPATH: 15, RUNPATH: 29 };

export function elfFile(spec: ElfSpec): Buffer {
  const is64 = (spec.bits ?? 64) === 64;
  const be = spec.bigEndian ?? false;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dynentsize = is64 ? 16 : 8;
  const phnum = 1 + (spec.interp ? 1 : 0) + 1;

  // String table: offsets of each string.
  const strings: string[] = [''];
  const offsetOf = new Map<string, number>();
  let strtabSize = 1;
  const addString = (s: string): number => {
    if (!offsetOf.has(s)) {
      offsetOf.set(s, strtabSize);
      strings.push(s);
      strtabSize += Buffer.byteLength(s) + 1;
    }
    return offsetOf.get(s)!;
  };
  const dyn: Array<[number, number]> = [];
  for (const n of spec.needed ?? []) dyn.push([DT.NEEDED, addString(n)]);
  if (spec.rpath !== undefined) dyn.push([DT.RPATH, addString(spec.rpath)]);
  if (spec.runpath !== undefined) dyn.push([DT.RUNPATH, addString(spec.runpath)]);
  if (spec.soname !== undefined) dyn.push([DT.SONAME, addString(spec.soname)]);

  const interpOff = ehsize + phentsize * phnum;
  const interpBytes = spec.interp ? Buffer.from(`${spec.interp}\0`) : Buffer.alloc(0);
  const strtabOff = interpOff + interpBytes.length;
  const dynOff = Math.ceil((strtabOff + strtabSize) / 8) * 8;
  dyn.push([DT.STRTAB, strtabOff], [0, 0]);
  const total = dynOff + dyn.length * dynentsize;
  const b = Buffer.alloc(total);

  const u16 = (o: number, v: number): number => (be ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  const u32 = (o: number, v: number): number => (be ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  const word = (o: number, v: number): void => {
    if (is64) {
      if (be) b.writeBigUInt64BE(BigInt(v), o);
      else b.writeBigUInt64LE(BigInt(v), o);
    } else u32(o, v);
  };

  b.write('\x7fELF', 0, 'latin1');
  b[4] = is64 ? 2 : 1;
  b[5] = be ? 2 : 1;
  b[6] = 1;
  u16(16, spec.type ?? 3);
  u16(18, spec.machine ?? 62);
  u32(20, 1);
  word(is64 ? 32 : 28, ehsize); // e_phoff
  u16(is64 ? 52 : 40, ehsize);
  u16(is64 ? 54 : 42, phentsize);
  u16(is64 ? 56 : 44, phnum);

  const phdr = (i: number, type: number, offset: number, size: number): void => {
    const o = ehsize + i * phentsize;
    u32(o, type);
    if (is64) {
      word(o + 8, offset);
      word(o + 16, offset);
      word(o + 24, offset);
      word(o + 32, size);
      word(o + 40, size);
    } else {
      u32(o + 4, offset);
      u32(o + 8, offset);
      u32(o + 12, offset);
      u32(o + 16, size);
      u32(o + 20, size);
    }
  };
  let i = 0;
  phdr(i++, 1, 0, total); // PT_LOAD
  if (spec.interp) phdr(i++, 3, interpOff, interpBytes.length); // PT_INTERP
  phdr(i++, 2, dynOff, dyn.length * dynentsize); // PT_DYNAMIC
  interpBytes.copy(b, interpOff);
  for (const s of strings) if (s) b.write(`${s}\0`, strtabOff + offsetOf.get(s)!, 'utf8');
  dyn.forEach(([tag, val], k) => {
    word(dynOff + k * dynentsize, tag);
    word(dynOff + k * dynentsize + dynentsize / 2, val);
  });
  return b;
}

/** A glibc ld.so.cache in the new format ("glibc-ld.so.cache1.1"): name -> path entries. */
export function ldSoCache(entries: ReadonlyArray<[string, string]>): Buffer {
  const header = 48;
  const entrySize = 24;
  const stringsStart = header + entries.length * entrySize;
  const strs: Buffer[] = [];
  let off = stringsStart;
  const b = Buffer.alloc(stringsStart);
  b.write('glibc-ld.so.cache1.1', 0, 'latin1');
  b.writeUInt32LE(entries.length, 20);
  entries.forEach(([key, value], i) => {
    const o = header + i * entrySize;
    b.writeInt32LE(0x0303, o); // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
    b.writeUInt32LE(off, o + 4);
    strs.push(Buffer.from(`${key}\0`));
    off += Buffer.byteLength(key) + 1;
    b.writeUInt32LE(off, o + 8);
    strs.push(Buffer.from(`${value}\0`));
    off += Buffer.byteLength(value) + 1;
  });
  const all = Buffer.concat([b, ...strs]);
  all.writeUInt32LE(off - stringsStart, 24);
  return all;
}
