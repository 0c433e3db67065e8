import { BadInputError } from '../../errors.js';

/** One installed package as a package-lock.json records it. */
export interface LockedPackage {
  /** Folder relative to the lockfile's directory: "node_modules/a/node_modules/b", "packages/web". */
  path: string;
  dev: boolean;
  optional: boolean;
  devOptional: boolean;
  /** For a workspace link (`link: true`): the folder it points to, relative to the lockfile. */
  linkTo?: string;
}

export interface Lockfile {
  version: number;
  packages: LockedPackage[];
}

interface V2Entry {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
  resolved?: string;
}

interface V1Entry {
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, V1Entry>;
}

/**
 * Parses package-lock.json, npm-shrinkwrap.json or node_modules/.package-lock.json. v2 and v3
 * list every folder under `packages`; v1 nests `dependencies` as the folders nest.
 */
export function parseLockfile(text: string, file: string): Lockfile {
  let doc: { lockfileVersion?: number; packages?: Record<string, V2Entry>; dependencies?: Record<string, V1Entry> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new BadInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const version = doc.lockfileVersion ?? 1;
  if (doc.packages && version >= 2) {
    const packages: LockedPackage[] = [];
    for (const [path, e] of Object.entries(doc.packages)) {
      if (path === '') continue;
      packages.push({
        path,
        dev: e.dev === true,
        optional: e.optional === true,
        devOptional: e.devOptional === true,
        ...(e.link && e.resolved ? { linkTo: e.resolved } : {}),
      });
    }
    return { version, packages };
  }
  if (doc.dependencies) {
    const packages: LockedPackage[] = [];
    const visit = (deps: Record<string, V1Entry>, under: string): void => {
      for (const [name, e] of Object.entries(deps)) {
        const path = `${under}node_modules/${name}`;
        packages.push({ path, dev: e.dev === true, optional: e.optional === true, devOptional: false });
        if (e.dependencies) visit(e.dependencies, `${path}/`);
      }
    };
    visit(doc.dependencies, '');
    return { version, packages };
  }
  throw new BadInputError(`${file} has neither "packages" nor "dependencies"`);
}

/**
 * What `npm install --omit=dev` installs: everything but `dev`. A `devOptional` package is an
 * optional dependency of a production package as well, so it stays.
 */
export function isProductionPackage(p: LockedPackage): boolean {
  return !p.dev;
}
