import type { Essentials } from '../profiles/profile.js';
import type { RootFs } from '../rootfs/rootfs.js';
import type { AnalysisContext } from './analyser.js';
import { keepResolved, keepTree } from './keep-path.js';

const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

/** passwd/group lines, and the user and group the image runs as. */
export interface ImageUser {
  /** As written in the config: "", "app", "1000", "app:staff", "1000:50". */
  spec: string;
  name?: string;
  uid: number;
  gid: number;
  home?: string;
  groupName?: string;
}

function parseColonFile(text: string): string[][] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

/** Finds the image user in /etc/passwd and /etc/group, as runc does for User. */
export async function resolveImageUser(fs: RootFs, spec: string): Promise<ImageUser> {
  const [userPart = '', groupPart] = spec.split(':');
  const passwd = fs.stat('/etc/passwd')?.type === 'file' ? parseColonFile((await fs.readFile('/etc/passwd')).toString('utf8')) : [];
  const group = fs.stat('/etc/group')?.type === 'file' ? parseColonFile((await fs.readFile('/etc/group')).toString('utf8')) : [];
  const user: ImageUser = { spec, uid: 0, gid: 0 };
  const pw = userPart === '' ? passwd.find((p) => p[2] === '0') : passwd.find((p) => p[0] === userPart || (/^\d+$/.test(userPart) && p[2] === userPart));
  if (pw) {
    user.name = pw[0];
    user.uid = Number(pw[2]);
    user.gid = Number(pw[3]);
    user.home = pw[5];
  } else if (/^\d+$/.test(userPart)) user.uid = Number(userPart);
  if (groupPart !== undefined) {
    const gr = group.find((g) => g[0] === groupPart || (/^\d+$/.test(groupPart) && g[2] === groupPart));
    user.gid = gr ? Number(gr[2]) : Number(groupPart) || 0;
  }
  user.groupName = group.find((g) => Number(g[2]) === user.gid)?.[0];
  return user;
}

/** Keeps lines for root, nobody and the image's user (by name or id). */
function reduceLines(text: string, keepName: (fields: string[]) => boolean): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .filter((l) => keepName(l.split(':')))
    .map((l) => `${l}\n`)
    .join('');
}

/**
 * The files nearly every program needs that no linker shows: CA certificates, time zones, the
 * image user's passwd/group entries and home, /tmp.
 */
export async function runEssentials(ctx: AnalysisContext, essentials: Essentials, user: ImageUser): Promise<void> {
  const { fs, keep } = ctx;
  if (essentials.caCertificates) {
    for (const bundle of CA_BUNDLES) {
      keepResolved(ctx, bundle, { by: 'essentials', why: 'CA certificate bundle', layer: 'os' });
    }
    // Only the bundle, as distroless ships it: Go, OpenSSL (its default CAfile), curl and
    // Node read it. The per-certificate hash links of SSL_CERT_DIR would double its size.
  }
  if (essentials.tzdata) {
    keepTree(ctx, '/usr/share/zoneinfo', { by: 'essentials', why: 'time zone data (tzdata)', layer: 'os' });
    keepResolved(ctx, '/etc/localtime', { by: 'essentials', why: 'local time zone', layer: 'os' });
    keepResolved(ctx, '/etc/timezone', { by: 'essentials', why: 'local time zone name', layer: 'os' });
  }
  if (essentials.users) {
    const names = new Set(['root', 'nobody', ...(user.name ? [user.name] : [])]);
    const groups = new Set(['root', 'nogroup', 'nobody', ...(user.groupName ? [user.groupName] : [])]);
    const who = user.name ? `user '${user.name}' of the image (User=${user.spec || 'root'})` : 'root and nobody';
    for (const [file, filter] of [
      ['/etc/passwd', (f: string[]) => names.has(f[0]!) || Number(f[2]) === user.uid],
      ['/etc/shadow', (f: string[]) => names.has(f[0]!)],
      ['/etc/group', (f: string[]) => groups.has(f[0]!) || Number(f[2]) === user.gid],
      ['/etc/gshadow', (f: string[]) => groups.has(f[0]!)],
    ] as const) {
      const r = fs.resolve(file);
      if (r.entry?.type !== 'file') continue;
      const text = (await fs.readFile(r.path)).toString('utf8');
      keep.replaceContent(r.path, { content: Buffer.from(reduceLines(text, filter)), mode: r.entry.mode, uid: r.entry.uid, gid: r.entry.gid }, { by: 'essentials', why: `reduced to ${who}`, layer: 'os' });
    }
  }
  if (essentials.tmp) {
    keep.add('tmp', { by: 'essentials', why: 'temporary directory (mode 1777)', layer: 'os' });
  }
  if (essentials.home && user.home && user.home !== '/' && user.home !== '/nonexistent') {
    const r = fs.resolve(user.home);
    if (r.entry?.type === 'dir') keep.add(r.path, { by: 'essentials', why: `home of user '${user.name}'`, layer: 'app' });
  }
}
