import { HostilePathError } from '../errors.js';

/**
 * Paths inside an image are kept without a leading slash ("usr/bin/env"); the root is "".
 * Tar member names are checked here: an absolute name or a ".." component is refused, as
 * Docker refuses them, because writing such a member would land outside the root.
 */
export function normalizeMemberName(name: string, what: string): string {
  if (name.startsWith('/')) throw new HostilePathError(`${what}: tar entry ${JSON.stringify(name)} has an absolute path`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new HostilePathError(`${what}: tar entry ${JSON.stringify(name)} climbs out of the root with ".."`);
    parts.push(part);
  }
  return parts.join('/');
}

/** Lexical normalization of an in-image path: "." and ".." folded, ".." stopping at the root. */
export function cleanPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** Like cleanPath, but says whether ".." went above the root (Docker's breakout check). */
export function escapesRoot(path: string): boolean {
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (depth === 0) return true;
      depth--;
    } else depth++;
  }
  return false;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** "usr/bin" -> "/usr/bin", "" -> "/". */
export function toAbsolute(path: string): string {
  return '/' + path;
}

/** "/usr/bin/" -> "usr/bin". Does not resolve symlinks. */
export function fromAbsolute(path: string): string {
  return cleanPath(path);
}
