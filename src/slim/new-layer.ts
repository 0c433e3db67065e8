import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { MediaTypes, type Layer } from '../image/model.js';
import { openRangeStream, type FileRange } from '../tar/file-range.js';

/** A layer whittle wrote: an uncompressed tar file in the workspace; digest = diff ID. */
export class WrittenTarLayer implements Layer {
  readonly mediaType = MediaTypes.ociLayer;
  readonly compression = 'none' as const;
  readonly digest: string;
  private constructor(
    readonly diffId: string,
    readonly size: number,
    private readonly file: string,
  ) {
    this.digest = diffId;
  }

  static async fromFile(file: string, diffId: string): Promise<WrittenTarLayer> {
    return new WrittenTarLayer(diffId, (await stat(file)).size, file);
  }

  openBlob(): Readable {
    return openRangeStream({ path: this.file, start: 0, size: this.size });
  }

  async tar(): Promise<FileRange> {
    return { path: this.file, start: 0, size: this.size };
  }
}
