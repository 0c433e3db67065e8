import type { RootFs } from '../../rootfs/rootfs.js';
import { joinPath } from '../../rootfs/paths.js';

/** The parts of package.json that decide what a package needs at run time. */
export interface PackageManifest {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
  bin?: string | Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

export type ManifestResult = { manifest: PackageManifest } | { error: string } | undefined;

/** Reads DIR/package.json; undefined when there is none, an error string when it is not JSON. */
export async function readPackageJson(fs: RootFs, dir: string): Promise<ManifestResult> {
  const path = joinPath(dir, 'package.json');
  if (fs.stat(path)?.type !== 'file') return undefined;
  try {
    const parsed: unknown = JSON.parse((await fs.readFile(path)).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: `/${path} is not a JSON object` };
    return { manifest: parsed as PackageManifest };
  } catch (err) {
    return { error: `/${path}: ${(err as Error).message}` };
  }
}

/** The dependencies Node must be able to load at run time: never devDependencies. */
export function runtimeDependencyNames(m: PackageManifest): string[] {
  const names = new Set<string>([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {})]);
  for (const peer of Object.keys(m.peerDependencies ?? {})) {
    // An optional peer is the host app's choice; it is kept only if something else needs it.
    if (!m.peerDependenciesMeta?.[peer]?.optional) names.add(peer);
  }
  return [...names].sort();
}
