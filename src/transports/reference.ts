import { UsageError } from '../errors.js';

export type Transport = 'docker-daemon' | 'docker-archive' | 'oci' | 'oci-archive';

/** A parsed image reference, in the transport:path[:ref] form skopeo users know. */
export interface ImageReference {
  readonly transport: Transport;
  /** File or directory, for archive and layout transports. */
  readonly path?: string;
  /** Daemon image name or ID; tag or ref name inside an archive or layout. */
  readonly name?: string;
  readonly raw: string;
}

const TRANSPORTS: readonly Transport[] = ['docker-daemon', 'docker-archive', 'oci', 'oci-archive'];

export function parseReference(raw: string): ImageReference {
  if (raw.trim() === '') throw new UsageError('empty image reference');
  const m = /^([a-z][a-z-]*):(?!\/\/)(.*)$/.exec(raw);
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(raw)) {
    throw new UsageError(`unsupported reference ${JSON.stringify(raw)}: registries (docker://) are not supported yet; use one of ${TRANSPORTS.join(':, ')}:`);
  }
  if (m && (TRANSPORTS as readonly string[]).includes(m[1]!)) {
    const transport = m[1] as Transport;
    const rest = m[2]!;
    if (transport === 'docker-daemon') {
      if (rest === '') throw new UsageError(`${raw}: docker-daemon: needs an image name or ID`);
      return { transport, name: rest, raw };
    }
    // PATH[:REF]; the REF part may itself contain a colon (repo:tag), so split at the first.
    const i = rest.indexOf(':');
    const path = i === -1 ? rest : rest.slice(0, i);
    const name = i === -1 ? undefined : rest.slice(i + 1);
    if (path === '') throw new UsageError(`${raw}: ${transport}: needs a path`);
    return { transport, path, ...(name ? { name } : {}), raw };
  }
  if (m && !/^[a-z0-9._-]+(:\d+)?\//.test(raw) && !/^[a-z0-9._/-]+:[\w][\w.-]*$/.test(raw)) {
    throw new UsageError(`unknown transport ${JSON.stringify(m[1])} in ${JSON.stringify(raw)}; use one of ${TRANSPORTS.join(':, ')}:, or a bare image name for the daemon`);
  }
  // A bare NAME[:TAG] or image ID means the daemon, as with docker itself.
  return { transport: 'docker-daemon', name: raw, raw };
}

export function formatReference(ref: ImageReference): string {
  if (ref.transport === 'docker-daemon') return `docker-daemon:${ref.name}`;
  return `${ref.transport}:${ref.path}${ref.name ? `:${ref.name}` : ''}`;
}
