import type { RootFs } from '../rootfs/rootfs.js';
import type { KeepSet } from './keep-set.js';
import type { RequiredDirectory } from './write-layer.js';

/** distroless static's users and groups (see shared/reference/runtime-files.md). */
export const DISTROLESS_PASSWD = ['root:x:0:0:root:/root:/sbin/nologin', 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin', 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin'];
export const DISTROLESS_GROUP = ['root:x:0:', 'tty:x:5:', 'staff:x:50:', 'nonroot:x:65532:', 'nobody:x:65534:'];
const NSSWITCH = 'passwd:         files\ngroup:          files\nshadow:         files\nhosts:          files dns\nnetworks:       files\nprotocols:      files\nservices:       files\n';
const OS_RELEASE = 'PRETTY_NAME="whittle distroless"\nNAME="whittle distroless"\nID=whittle-distroless\n';
const SERVICES = 'ftp\t\t21/tcp\nssh\t\t22/tcp\nsmtp\t\t25/tcp\ndomain\t\t53/tcp\ndomain\t\t53/udp\nhttp\t\t80/tcp\nhttps\t\t443/tcp\n';
const PROTOCOLS = 'ip\t0\tIP\nicmp\t1\tICMP\ntcp\t6\tTCP\nudp\t17\tUDP\nipv6\t41\tIPv6\nipv6-icmp\t58\tIPv6-ICMP\n';

export const DISTROLESS_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'];

export interface BaseLayerPlan {
  /** Paths that make up the base layer (kept or generated). */
  paths: string[];
  required: RequiredDirectory[];
  /** Env entries the base sets; the image's own values win. */
  env: string[];
}

/** Merges two passwd- or group-style files: base lines first, then the image's other names. */
function mergeLines(base: readonly string[], image: string): string {
  const names = new Set(base.map((l) => l.split(':')[0]));
  const extra = image.split('\n').filter((l) => l.trim() !== '' && !names.has(l.split(':')[0]));
  return [...base, ...extra].map((l) => `${l}\n`).join('');
}

/**
 * A distroless-style base, synthesized offline: distroless static's passwd, group, nsswitch,
 * services, protocols, os-release, /tmp, /root and /home/nonroot, plus what the essentials
 * analyser kept from the image (CA bundle, tzdata), all in one bottom layer. The image user's
 * passwd and group lines are merged in, so that user still exists.
 */
export function planDistrolessBase(fs: RootFs, keep: KeepSet): BaseLayerPlan {
  const file = (path: string, text: string, mode = 0o644): void => {
    const content = Buffer.from(text);
    keep.replaceContent(path, { content, mode, uid: 0, gid: 0 }, { by: 'base', why: 'distroless base', layer: 'os' });
  };
  const imageText = (path: string): string => keep.generatedContent(path)?.content.toString('utf8') ?? '';
  file('etc/passwd', mergeLines(DISTROLESS_PASSWD, imageText('etc/passwd')));
  file('etc/group', mergeLines(DISTROLESS_GROUP, imageText('etc/group')));
  for (const [path, text] of [
    ['etc/nsswitch.conf', NSSWITCH],
    ['etc/services', SERVICES],
    ['etc/protocols', PROTOCOLS],
  ] as const) {
    if (!keep.has(path) || fs.stat(path)?.type !== 'file') file(path, text);
  }
  file('usr/lib/os-release', OS_RELEASE);
  file('etc/os-release', OS_RELEASE);
  const required: RequiredDirectory[] = [
    { path: 'tmp', mode: 0o1777, uid: 0, gid: 0 },
    { path: 'root', mode: 0o700, uid: 0, gid: 0 },
    { path: 'home/nonroot', mode: 0o700, uid: 65532, gid: 65532 },
  ];
  for (const d of required) keep.add(d.path, { by: 'base', why: 'distroless base directory', layer: 'os' });
  // distroless static carries tzdata whatever the program is.
  const zoneinfo = fs.resolve('/usr/share/zoneinfo');
  if (zoneinfo.entry?.type === 'dir') {
    for (const link of zoneinfo.symlinks) keep.add(link, { by: 'base', why: 'distroless base: tzdata', layer: 'os' });
    for (const e of fs.walk(zoneinfo.path)) keep.add(e.path, { by: 'base', why: 'distroless base: tzdata', layer: 'os' });
  }
  const paths = keep.paths().filter((p) => keep.reasonsFor(p).some((r) => r.by === 'base' || r.by === 'essentials'));
  return { paths, required, env: DISTROLESS_ENV };
}
