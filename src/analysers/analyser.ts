import type { ImageConfigFile } from '../image/model.js';
import type { RootFs } from '../rootfs/rootfs.js';
import type { KeepReason, KeepSet } from '../slim/keep-set.js';

/** What every analyser gets: the merged root, the image config, and the set it adds to. */
export interface AnalysisContext {
  readonly fs: RootFs;
  readonly config: ImageConfigFile;
  /** The image's Env as a map (PATH, LD_LIBRARY_PATH, ...). */
  readonly env: ReadonlyMap<string, string>;
  readonly keep: KeepSet;
  /** A note for the user (a library not found, a script command not resolved, ...). */
  warn(message: string): void;
}

/**
 * An analyser adds the paths a program needs, each with a reason. It reads the image and
 * never executes anything from it.
 */
export interface Analyser {
  readonly name: string;
  run(ctx: AnalysisContext, roots: readonly string[]): Promise<void>;
}

export type { KeepReason };
