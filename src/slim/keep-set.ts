import { cleanPath } from '../rootfs/paths.js';

/**
 * Output layers, ordered by how often their contents change (least often first), so that a
 * rebuild of the app shares the lower layers with the previous image.
 */
export const LAYER_CLASSES = ['os', 'runtime', 'deps', 'app'] as const;
export type LayerClass = (typeof LAYER_CLASSES)[number];

/** Why a path is kept: which analyser or rule kept it, and a sentence a user can read. */
export interface KeepReason {
  /** The analyser or rule: 'entrypoint', 'elf', 'shell', 'essentials', 'profile', 'node', ... */
  readonly by: string;
  /** e.g. "libc.so.6, needed by /usr/bin/curl" or "profile rule keep[2]: /app/**". */
  readonly why: string;
  /** Which output layer the analyser would put it in; the profile's layer plan decides last. */
  readonly layer?: LayerClass;
}

/**
 * The set of paths to keep, each with every reason it was kept for (the first is the one
 * shown by default). Paths are stored without a leading slash.
 */
/** A file whose content whittle writes instead of the image's (e.g. a reduced /etc/passwd). */
export interface GeneratedFile {
  readonly content: Buffer;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export class KeepSet {
  private readonly reasons = new Map<string, KeepReason[]>();
  private readonly generated = new Map<string, GeneratedFile>();
  private readonly declined = new Map<string, string>();

  /** Returns true if the path was not kept before (so callers can recurse only once). */
  add(path: string, reason: KeepReason): boolean {
    const p = cleanPath(path);
    const list = this.reasons.get(p);
    if (list) {
      if (!list.some((r) => r.by === reason.by && r.why === reason.why)) list.push(reason);
      return false;
    }
    this.reasons.set(p, [reason]);
    return true;
  }

  has(path: string): boolean {
    return this.reasons.has(cleanPath(path));
  }

  delete(path: string): void {
    this.reasons.delete(cleanPath(path));
  }

  reasonsFor(path: string): readonly KeepReason[] {
    return this.reasons.get(cleanPath(path)) ?? [];
  }

  /** Keeps the path with new content (a reduced passwd, a created /tmp is a directory instead). */
  replaceContent(path: string, file: GeneratedFile, reason: KeepReason): void {
    const p = cleanPath(path);
    this.generated.set(p, file);
    this.reasons.set(p, [reason, ...(this.reasons.get(p) ?? [])]);
  }

  /**
   * Records why an analyser chose to leave a path out (a devDependency, a README), so the audit
   * can say so instead of "no rule kept it". A path kept by anyone else stays kept.
   */
  decline(path: string, why: string): void {
    const p = cleanPath(path);
    if (!this.declined.has(p)) this.declined.set(p, why);
  }

  declinedReason(path: string): string | undefined {
    return this.declined.get(cleanPath(path));
  }

  generatedContent(path: string): GeneratedFile | undefined {
    return this.generated.get(cleanPath(path));
  }

  paths(): string[] {
    return [...this.reasons.keys()].sort();
  }

  get size(): number {
    return this.reasons.size;
  }
}
