import type { HistoryEntry, ImageConfigFile } from '../image/model.js';
import type { TarEntry } from '../tar/tar-reader.js';

/** One row of `whittle inspect`'s layer table. */
export interface LayerInfo {
  /** Zero-based, bottom layer first. */
  index: number;
  /** Digest of the blob as stored. */
  digest: string;
  /** Digest of the uncompressed tar (rootfs.diff_ids). */
  diffId: string;
  /** Bytes of the blob as stored (compressed if the source compresses). */
  blobSize: number;
  /**
   * Bytes as Docker counts a layer (`docker history`, and summed, `docker image inspect`'s
   * Size): regular-file content plus the length of each symlink's target, which is what
   * overlay2's diff directory holds (hardlinks are one inode; whiteouts are empty devices).
   */
  size: number;
  /** Bytes of regular-file content in the tar (dive's layer size). */
  contentBytes: number;
  /** Tar members, whiteouts included. */
  entries: number;
  /** The history step that made the layer ("" when the image has no history for it). */
  createdBy: string;
  comment?: string;
  created?: string;
}

/** Per-layer counts, accumulated header by header while the layer tar is read. */
export class LayerStats {
  size = 0;
  contentBytes = 0;
  entries = 0;

  add(e: Pick<TarEntry, 'type' | 'size' | 'linkname'>): void {
    this.entries++;
    if (e.type === 'file') {
      this.contentBytes += e.size;
      this.size += e.size;
    } else if (e.type === 'symlink') {
      this.size += Buffer.byteLength(e.linkname);
    }
  }
}

/**
 * The history entry of each layer: entries marked empty_layer (ENV, CMD, ...) made no layer, so
 * the others are matched to the layers in order, as Docker and dive do. Missing ones are
 * undefined (history is optional in an image config).
 */
export function historyForLayers(config: Pick<ImageConfigFile, 'history'>, layerCount: number): Array<HistoryEntry | undefined> {
  const steps = (config.history ?? []).filter((h) => !h.empty_layer);
  return Array.from({ length: layerCount }, (_, i) => steps[i]);
}

/** "/bin/sh -c #(nop) COPY file:abc in /x" -> "COPY file:abc in /x"; whitespace folded. */
export function shortCreatedBy(createdBy: string): string {
  return createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s*/, '')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** One line, at most `width` characters, with an ellipsis when cut. */
export function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}
