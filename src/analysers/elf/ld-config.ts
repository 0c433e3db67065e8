import { Minimatch } from 'minimatch';
import type { RootFs } from '../../rootfs/rootfs.js';
import { cleanPath, dirname } from '../../rootfs/paths.js';

/** Debian's multiarch triplets, by ELF machine: the directories ld.so.conf.d points at. */
export const MULTIARCH: Readonly<Record<number, string>> = {
  62: 'x86_64-linux-gnu',
  3: 'i386-linux-gnu',
  183: 'aarch64-linux-gnu',
  40: 'arm-linux-gnueabihf',
  21: 'powerpc64le-linux-gnu',
  22: 's390x-linux-gnu',
  243: 'riscv64-linux-gnu',
};

/** musl's ARCH in /lib/ld-musl-ARCH.so.1 and /etc/ld-musl-ARCH.path. */
export function muslArchOf(interpreter: string): string | undefined {
  return /ld-musl-([^/]+)\.so\.1$/.exec(interpreter)?.[1];
}

/** Directories from /etc/ld.so.conf, following `include` globs (relative to /etc). */
export async function readLdSoConf(fs: RootFs): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = async (path: string, depth: number): Promise<void> => {
    const r = fs.resolve(path);
    if (!r.entry || r.entry.type !== 'file' || seen.has(r.path) || depth > 8) return;
    seen.add(r.path);
    files.push(path.replace(/^\//, ''), ...r.symlinks);
    const text = (await fs.readFile(r.path)).toString('utf8');
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '' || line.startsWith('hwcap ')) continue;
      const inc = /^include\s+(.+)$/.exec(line);
      if (inc) {
        for (const pattern of inc[1]!.split(/\s+/)) {
          const abs = pattern.startsWith('/') ? pattern : `/etc/${pattern}`;
          for (const match of globFiles(fs, abs)) await visit(match, depth + 1);
        }
        continue;
      }
      for (const d of line.split(/[:\s,]+/)) if (d.startsWith('/')) dirs.push(cleanPath(d));
    }
  };
  await visit('/etc/ld.so.conf', 0);
  return { dirs, files };
}

/** Files matching a glob whose wildcards are in the last component only (as ld.so.conf uses). */
function globFiles(fs: RootFs, absGlob: string): string[] {
  const clean = cleanPath(absGlob);
  const dir = dirname(clean);
  const m = new Minimatch(clean.slice(clean.lastIndexOf('/') + 1));
  return fs
    .list(dir)
    .map((e) => e.path.slice(e.path.lastIndexOf('/') + 1))
    .filter((name) => m.match(name))
    .sort()
    .map((name) => `/${dir}/${name}`);
}

const NEW_MAGIC = 'glibc-ld.so.cache1.1';

/**
 * /etc/ld.so.cache as a name -> paths map, in cache order. The new format ("glibc-ld.so.cache1.1")
 * is read, alone or after the old one; string offsets are from the start of the new part.
 */
export function parseLdSoCache(bytes: Buffer): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const start = bytes.indexOf(NEW_MAGIC, 0, 'latin1');
  if (start === -1) return map;
  const le = true;
  const nlibs = le ? bytes.readUInt32LE(start + 20) : bytes.readUInt32BE(start + 20);
  const headerSize = 48;
  const entrySize = 24;
  if (start + headerSize + nlibs * entrySize > bytes.length) return map;
  const str = (off: number): string => {
    const abs = start + off;
    const end = bytes.indexOf(0, abs);
    return bytes.subarray(abs, end === -1 ? bytes.length : end).toString('utf8');
  };
  for (let i = 0; i < nlibs; i++) {
    const o = start + headerSize + i * entrySize;
    const key = str(bytes.readUInt32LE(o + 4));
    const value = str(bytes.readUInt32LE(o + 8));
    const list = map.get(key) ?? [];
    list.push(cleanPath(value));
    map.set(key, list);
  }
  return map;
}
