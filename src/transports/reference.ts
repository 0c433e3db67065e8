import { UsageError } from '../errors.js';

export type Transport = 'docker-daemon' | 'docker-archive' | 'oci' | 'oci-archive';

/** A parsed image reference, in the transport:path[:ref] form skopeo users know. */
export interface ImageReference {
  readonly transport: Transport;
  /** File or directory, for archive and layout transports. */
  readonly path?: string;
  /** Daemon image name[:tag] or ID; tag or ref name inside an archive or layout. */
  readonly name?: string;
  readonly raw: string;
}

export const TRANSPORTS: readonly Transport[] = ['docker-daemon', 'docker-archive', 'oci', 'oci-archive'];

/** skopeo transports whittle does not read or write (yet); named so the error can say so. */
const OTHER_TRANSPORTS: readonly string[] = ['docker', 'dir', 'containers-storage', 'ostree', 'sif', 'tarball'];
/** Of those, the ones no one uses as an image name (unlike "docker:dind" or "dir:1"). */
const NEVER_IMAGE_NAMES: readonly string[] = ['containers-storage', 'ostree', 'sif', 'tarball'];

const TRANSPORT_LIST = `${TRANSPORTS.map((t) => `${t}:`).join(', ')} or a bare image name for the daemon`;

/**
 * Parses 'docker-daemon:NAME[:TAG]', a bare 'NAME[:TAG]' or image ID (the daemon, as with
 * docker itself), 'docker-archive:PATH[:REF]', 'oci:DIR[:REF]' and 'oci-archive:PATH[:REF]'.
 */
export function parseReference(raw: string): ImageReference {
  if (raw.trim() === '') throw new UsageError('empty image reference');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(raw);
  if (scheme) {
    const what = scheme[1] === 'docker' ? 'registries (docker://) are not supported yet' : `${scheme[1]}:// is not a transport whittle knows`;
    throw new UsageError(`cannot use ${JSON.stringify(raw)}: ${what}; use ${TRANSPORT_LIST}`);
  }
  const m = /^([a-z][a-z-]*):(.*)$/s.exec(raw);
  if (m && (TRANSPORTS as readonly string[]).includes(m[1]!)) {
    const transport = m[1] as Transport;
    const rest = m[2]!;
    if (transport === 'docker-daemon') {
      if (rest === '') throw new UsageError(`${raw}: docker-daemon: needs an image name or ID`);
      return { transport, name: rest, raw };
    }
    // PATH[:REF]; the REF may itself hold a colon (repo:tag), so split at the first one, as skopeo does.
    const i = rest.indexOf(':');
    const path = i === -1 ? rest : rest.slice(0, i);
    const name = i === -1 ? undefined : rest.slice(i + 1);
    if (path === '') throw new UsageError(`${raw}: ${transport}: needs a path`);
    return { transport, path, ...(name ? { name } : {}), raw };
  }
  // "dir:/x" or "containers-storage:x" is a transport; "name:tag", "host:5000/name" and "sha256:ID" are the daemon's.
  if (m && (NEVER_IMAGE_NAMES.includes(m[1]!) || !isImageName(raw))) {
    const known = OTHER_TRANSPORTS.includes(m[1]!) ? `the ${m[1]}: transport is not supported yet` : `unknown transport ${JSON.stringify(m[1])}`;
    throw new UsageError(`cannot use ${JSON.stringify(raw)}: ${known}; use ${TRANSPORT_LIST}`);
  }
  return { transport: 'docker-daemon', name: raw, raw };
}

export function formatReference(ref: ImageReference): string {
  if (ref.transport === 'docker-daemon') return `docker-daemon:${ref.name}`;
  return `${ref.transport}:${ref.path}${ref.name ? `:${ref.name}` : ''}`;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const NAME_RE = new RegExp(`^${HOST}?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`);
const ID_RE = /^(?:sha256:)?[0-9a-f]{6,64}$/;

/** A docker image name (with optional host, tag, digest) or an image ID. */
export function isImageName(s: string): boolean {
  return NAME_RE.test(s) || ID_RE.test(s);
}

/** "foo" -> "foo:latest"; "host:5000/foo" -> "host:5000/foo:latest"; a tagged name is kept. */
export function withDefaultTag(name: string): string {
  const slash = name.lastIndexOf('/');
  return name.slice(slash + 1).includes(':') ? name : `${name}:latest`;
}

/** A repo:tag to record in an archive or the daemon; refuses what docker would refuse later. */
export function normalizeTag(name: string): string {
  const tagged = withDefaultTag(name);
  if (!NAME_RE.test(tagged) || tagged.includes('@')) {
    throw new UsageError(`invalid tag ${JSON.stringify(name)}: expected [HOST[:PORT]/]NAME[:TAG] in lower case, e.g. myapp:slim`);
  }
  return tagged;
}
