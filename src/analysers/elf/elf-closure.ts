import type { FsEntry, RootFs } from '../../rootfs/rootfs.js';
import { cleanPath, dirname } from '../../rootfs/paths.js';
import { ELF_MACHINE_PLATFORM, isElfMagic, parseElf, type ElfInfo } from './elf-parser.js';
import { MULTIARCH, muslArchOf, parseLdSoCache, readLdSoConf } from './ld-config.js';

/** A path the closure keeps, and why. */
export interface ElfKeep {
  path: string;
  why: string;
  /** True for libraries found in the system's library directories. */
  system: boolean;
}

export interface MissingLibrary {
  name: string;
  neededBy: string;
  searched: string[];
}

export interface ElfObject {
  path: string;
  info: ElfInfo;
}

export interface ElfClosure {
  keep: ElfKeep[];
  missing: MissingLibrary[];
  objects: ElfObject[];
  /** 'glibc', 'musl' or undefined when only static objects were seen. */
  libc?: 'glibc' | 'musl';
}

interface Loaded {
  path: string;
  info: ElfInfo;
  /** Objects whose DT_RPATH this one inherits (its loader, its loader's loader, ... the executable). */
  loaders: Loaded[];
}

const MUSL_LIBC_NAMES = new Set(['libc.so', 'libpthread.so.0', 'librt.so.1', 'libm.so.6', 'libdl.so.2', 'libutil.so.1', 'libxnet.so', 'libcrypt.so.1']);

/**
 * The shared-library closure of some ELF files, found the way ld.so would find them, without
 * running anything: PT_INTERP, DT_NEEDED through DT_RPATH / LD_LIBRARY_PATH / DT_RUNPATH /
 * ld.so.cache / default dirs for glibc, and LD_LIBRARY_PATH / RPATH+RUNPATH / the path file /
 * default dirs for musl. Every symlink on the way is kept as a symlink.
 */
export class ElfResolver {
  private readonly loaded = new Map<string, Loaded>();
  private readonly keeps = new Map<string, ElfKeep>();
  private readonly missing: MissingLibrary[] = [];
  private cache?: Map<string, string[]>;
  private confDirs?: string[];
  private libc?: 'glibc' | 'musl';
  /** From /etc/ld-musl-ARCH.path, when the image has one. */
  private muslPath?: string[];

  constructor(
    private readonly fs: RootFs,
    private readonly env: ReadonlyMap<string, string>,
  ) {}

  /** Adds an ELF file (an executable, or a library loaded some other way) and its closure. */
  async add(path: string, why: string): Promise<boolean> {
    const r = this.fs.resolve(path);
    if (!r.entry || r.entry.type !== 'file') return false;
    const info = await this.parse(r.entry);
    if (!info) return false;
    for (const link of r.symlinks) this.keepPath(link, `symlink to /${r.path}; ${why}`, false);
    this.keepPath(r.path, why, false);
    await this.load({ path: r.path, info, loaders: [] });
    return true;
  }

  /** Finds a library by soname as the loader would for `requester` (or the first loaded executable). */
  async findLibrary(name: string, why: string): Promise<string | undefined> {
    const requester = [...this.loaded.values()][0];
    if (!requester) return undefined;
    const found = await this.search(name, requester);
    if (!found) return undefined;
    await this.keepFound(found, why);
    return found.path;
  }

  result(): ElfClosure {
    // ld.so reuses an object already loaded under that soname: the JVM's libraries need
    // libjvm.so, which the launcher loaded from lib/server/ before any of them.
    const sonames = new Set([...this.loaded.values()].map((l) => l.info.soname).filter(Boolean));
    return {
      keep: [...this.keeps.values()],
      missing: this.missing.filter((m) => !sonames.has(m.name)),
      objects: [...this.loaded.values()].map((l) => ({ path: l.path, info: l.info })),
      ...(this.libc ? { libc: this.libc } : {}),
    };
  }

  private async parse(entry: FsEntry): Promise<ElfInfo | undefined> {
    const head = await this.fs.readContent(entry, 0, 4);
    if (!isElfMagic(head)) return undefined;
    try {
      return await parseElf((off, len) => this.fs.readContent(entry, off, len), `/${entry.path}`);
    } catch {
      return undefined;
    }
  }

  private keepPath(path: string, why: string, system: boolean): void {
    const p = cleanPath(path);
    if (!this.keeps.has(p)) this.keeps.set(p, { path: p, why, system });
  }

  private async load(obj: Loaded): Promise<void> {
    if (this.loaded.has(obj.path)) return;
    this.loaded.set(obj.path, obj);
    const { info } = obj;
    if (info.interpreter) {
      this.libc ??= info.interpreter.includes('ld-musl') ? 'musl' : 'glibc';
      const r = this.fs.resolve(info.interpreter);
      for (const link of r.symlinks) this.keepPath(link, `on the way to the interpreter ${info.interpreter} of /${obj.path}`, true);
      if (r.entry) {
        this.keepPath(r.path, `interpreter of /${obj.path}`, true);
        const interpInfo = await this.parse(r.entry);
        if (interpInfo) this.loaded.set(r.path, { path: r.path, info: interpInfo, loaders: [] });
      } else this.missing.push({ name: info.interpreter, neededBy: `/${obj.path}`, searched: [info.interpreter] });
    }
    for (const name of info.needed) {
      if (this.libc === 'musl' && MUSL_LIBC_NAMES.has(name)) continue; // the loader is libc
      const found = await this.search(name, obj);
      if (!found) {
        this.missing.push({ name, neededBy: `/${obj.path}`, searched: this.searchDirs(obj).map((d) => `/${d}`) });
        continue;
      }
      await this.keepFound(found, `${name}, needed by /${obj.path}`);
      if (!this.loaded.has(found.path)) await this.load({ path: found.path, info: found.info, loaders: [obj, ...obj.loaders] });
    }
  }

  private async keepFound(found: { path: string; symlinks: readonly string[]; system: boolean }, why: string): Promise<void> {
    for (const link of found.symlinks) this.keepPath(link, `symlink on the way to /${found.path}; ${why}`, found.system);
    this.keepPath(found.path, why, found.system);
  }

  /** The ordered directories ld.so would search for a library `requester` needs. */
  private searchDirs(requester: Loaded): string[] {
    const origin = (o: Loaded): string => dirname(o.path);
    const expand = (dirs: readonly string[], o: Loaded): string[] => dirs.map((d) => this.expandTokens(d, o.info, origin(o)));
    const ldLibraryPath = (this.env.get('LD_LIBRARY_PATH') ?? '').split(/[:;]/).filter(Boolean);
    const dirs: string[] = [];
    if (this.libc === 'musl') {
      dirs.push(...expand(ldLibraryPath, requester));
      for (const o of [requester, ...requester.loaders]) dirs.push(...expand([...o.info.rpath, ...o.info.runpath], o));
      dirs.push(...this.muslDefaultDirs());
      return dirs.map(cleanPath);
    }
    if (requester.info.runpath.length === 0) {
      for (const o of [requester, ...requester.loaders]) if (o.info.runpath.length === 0) dirs.push(...expand(o.info.rpath, o));
    }
    dirs.push(...expand(ldLibraryPath, requester));
    dirs.push(...expand(requester.info.runpath, requester));
    return dirs.map(cleanPath);
  }

  private muslDefaultDirs(): string[] {
    return this.muslPath ?? ['lib', 'usr/local/lib', 'usr/lib'];
  }

  private async search(name: string, requester: Loaded): Promise<{ path: string; symlinks: readonly string[]; info: ElfInfo; system: boolean } | undefined> {
    const want = requester.info;
    const tryPath = async (candidate: string, system: boolean) => {
      const r = this.fs.resolve(candidate);
      if (!r.entry || r.entry.type !== 'file') return undefined;
      const info = await this.parse(r.entry);
      // ld.so skips libraries of another class or machine and keeps looking.
      if (!info || info.class !== want.class || info.machine !== want.machine) return undefined;
      return { path: r.path, symlinks: r.symlinks, info, system };
    };
    if (name.includes('/')) return tryPath(this.expandTokens(name, want, dirname(requester.path)), false);
    if (this.libc === 'musl' && !this.muslPath) await this.loadMuslPath(requester);
    for (const dir of this.searchDirs(requester)) {
      const found = await tryPath(`${dir}/${name}`, false);
      if (found) return found;
    }
    if (this.libc === 'musl') return undefined;
    await this.loadGlibcConfig();
    for (const path of this.cache!.get(name) ?? []) {
      const found = await tryPath(path, true);
      if (found) return found;
    }
    for (const dir of [...this.confDirs!, ...this.glibcDefaultDirs(want)]) {
      const found = await tryPath(`${dir}/${name}`, true);
      if (found) return found;
    }
    return undefined;
  }

  private glibcDefaultDirs(info: ElfInfo): string[] {
    const triplet = MULTIARCH[info.machine];
    const dirs = triplet ? [`lib/${triplet}`, `usr/lib/${triplet}`] : [];
    if (info.class === 64) dirs.push('lib64', 'usr/lib64');
    dirs.push('lib', 'usr/lib');
    return dirs;
  }

  private async loadGlibcConfig(): Promise<void> {
    if (this.cache) return;
    const cacheEntry = this.fs.stat('/etc/ld.so.cache');
    this.cache = cacheEntry?.type === 'file' ? parseLdSoCache(await this.fs.readContent(cacheEntry, 0, cacheEntry.size)) : new Map();
    // Without a cache ld.so would use only the default dirs; reading ld.so.conf as well errs
    // on the side of keeping a library rather than losing it.
    this.confDirs = (await readLdSoConf(this.fs)).dirs;
  }

  private async loadMuslPath(requester: Loaded): Promise<void> {
    const arch = muslArchOf(requester.info.interpreter ?? [...this.loaded.values()].find((l) => l.info.interpreter)?.info.interpreter ?? '');
    if (!arch) return;
    const file = `/etc/ld-musl-${arch}.path`;
    const entry = this.fs.stat(file);
    if (entry?.type !== 'file') return;
    this.keepPath(this.fs.resolve(file).path, 'musl library path file', true);
    const text = (await this.fs.readContent(entry, 0, entry.size)).toString('utf8');
    this.muslPath = text.split(/[:\n]/).map((s) => s.trim()).filter((s) => s.startsWith('/')).map(cleanPath);
  }

  /** $ORIGIN, $LIB and $PLATFORM, also in braces, as ld.so expands them. */
  private expandTokens(path: string, info: ElfInfo, originDir: string): string {
    const lib = MULTIARCH[info.machine] && this.fs.stat(`/lib/${MULTIARCH[info.machine]}`) ? `lib/${MULTIARCH[info.machine]}` : info.class === 64 ? 'lib64' : 'lib';
    return path
      .replace(/\$(\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/g, `/${originDir}`)
      .replace(/\$(\{LIB\}|LIB(?![A-Za-z0-9_]))/g, lib)
      .replace(/\$(\{PLATFORM\}|PLATFORM(?![A-Za-z0-9_]))/g, ELF_MACHINE_PLATFORM[info.machine] ?? 'unknown');
  }
}
