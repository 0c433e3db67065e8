import type { RootFs } from '../../rootfs/rootfs.js';
import type { ElfResolver } from './elf-closure.js';

/** Data files glibc reads at run time when they exist. */
export const GLIBC_DATA_FILES = ['/etc/nsswitch.conf', '/etc/services', '/etc/protocols', '/etc/gai.conf', '/etc/hosts', '/etc/host.conf', '/etc/ld.so.cache', '/etc/ld.so.conf'];

/** The databases programs commonly look up; netgroup, ethers, rpc and friends are left out. */
const NSS_DATABASES = new Set(['passwd', 'group', 'shadow', 'gshadow', 'hosts', 'networks', 'services', 'protocols']);

/** Since 2.34, files and dns are built into libc.so.6. */
const BUILTIN_NSS_SINCE_234 = new Set(['files', 'dns']);

export interface GlibcRuntimeKeep {
  path: string;
  why: string;
}

/** glibc's version from the image: the libc6 package, else the libc file name (old layouts). */
export async function glibcVersion(fs: RootFs): Promise<[number, number] | undefined> {
  for (const status of ['/var/lib/dpkg/status']) {
    const e = fs.stat(status);
    if (e?.type !== 'file') continue;
    const text = (await fs.readContent(e, 0, e.size)).toString('utf8');
    const m = /Package: libc6\n(?:[^\n]+\n)*?Version: (\d+)\.(\d+)/.exec(text);
    if (m) return [Number(m[1]), Number(m[2])];
  }
  for (const dir of ['/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib64', '/lib', '/usr/lib64', '/usr/lib']) {
    for (const e of fs.list(dir)) {
      const m = /libc-(\d+)\.(\d+)\.so$/.exec(e.path);
      if (m) return [Number(m[1]), Number(m[2])];
    }
  }
  return undefined;
}

/**
 * What glibc loads with dlopen and no static closure shows: libgcc_s.so.1 (pthread_cancel,
 * unwinding), the NSS modules nsswitch.conf names that are not built in, libidn2 for IDN
 * lookups, and gconv modules when asked. Each is resolved (and its closure added) through the
 * resolver, so search rules stay the same.
 */
export async function addGlibcRuntime(fs: RootFs, resolver: ElfResolver, opts: { gconv: boolean }): Promise<{ keep: GlibcRuntimeKeep[]; notes: string[] }> {
  const keep: GlibcRuntimeKeep[] = [];
  const notes: string[] = [];
  const addLib = async (name: string, why: string): Promise<boolean> => {
    const path = await resolver.findLibrary(name, why);
    if (path) await resolver.add(path, why);
    return path !== undefined;
  };
  await addLib('libgcc_s.so.1', 'libgcc_s.so.1, loaded by glibc for pthread_cancel and unwinding');
  const version = await glibcVersion(fs);
  const modern = !version || version[0] > 2 || (version[0] === 2 && version[1] >= 34);
  const nss = fs.stat('/etc/nsswitch.conf');
  if (nss?.type === 'file') {
    const text = (await fs.readContent(nss, 0, nss.size)).toString('utf8');
    const services = new Map<string, string>();
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^(\w+):\s*(.*)$/.exec(line);
      if (!m || !NSS_DATABASES.has(m[1]!)) continue;
      for (const word of m[2]!.split(/\s+/)) {
        if (!word || word.startsWith('[')) continue;
        if (!services.has(word)) services.set(word, `${m[1]}: ${m[2]}`);
      }
    }
    for (const [service, line] of services) {
      if (modern && BUILTIN_NSS_SINCE_234.has(service)) continue;
      const found = await addLib(`libnss_${service}.so.2`, `NSS module for '${line}' in /etc/nsswitch.conf`);
      if (!found && /^(passwd|group|hosts):/.test(line)) notes.push(`NSS module libnss_${service}.so.2 named in /etc/nsswitch.conf is not in the image`);
    }
    if (!modern) {
      for (const lib of ['libnss_files.so.2', 'libnss_dns.so.2', 'libresolv.so.2']) await addLib(lib, `${lib}, loaded by glibc ${version!.join('.')} for name lookups`);
    }
  }
  await addLib('libidn2.so.0', 'libidn2.so.0, loaded by getaddrinfo for AI_IDN');
  for (const file of GLIBC_DATA_FILES) {
    const r = fs.resolve(file);
    if (r.entry?.type !== 'file') continue;
    for (const link of r.symlinks) keep.push({ path: link, why: `symlink to /${r.path}, read by glibc` });
    keep.push({ path: r.path, why: `read by glibc at run time` });
  }
  for (const e of fs.list('/etc/ld.so.conf.d')) keep.push({ path: e.path, why: 'included by /etc/ld.so.conf' });
  if (opts.gconv) {
    for (const dir of ['/usr/lib/x86_64-linux-gnu/gconv', '/usr/lib/aarch64-linux-gnu/gconv', '/usr/lib64/gconv', '/usr/lib/gconv']) {
      const r = fs.resolve(dir);
      if (r.entry?.type !== 'dir') continue;
      for (const e of fs.walk(r.path)) keep.push({ path: e.path, why: 'gconv module for iconv' });
    }
  }
  return { keep, notes };
}
