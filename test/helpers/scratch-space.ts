/**
 * A fresh temp dir per test and every image opened in it closed afterwards: the setup the
 * transport tests share. Call once at the top of a test file.
 */
import { afterEach, beforeEach } from 'vitest';
import type { Image } from '../../src/image/model.js';
import { openImage } from '../../src/transports/index.js';
import { tempDir } from './synthetic.js';

export interface ScratchSpace {
  /** This test's temp dir. */
  readonly dir: string;
  /** Opens an image that is closed after the test. */
  open(ref: string): Promise<Image>;
}

export function useScratchSpace(): ScratchSpace {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let opened: Image[] = [];
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await Promise.all(opened.map((i) => i.close()));
    opened = [];
    tmp?.cleanup();
  });
  return {
    get dir() {
      return tmp!.dir;
    },
    async open(ref: string) {
      const image = await openImage(ref);
      opened.push(image);
      return image;
    },
  };
}
