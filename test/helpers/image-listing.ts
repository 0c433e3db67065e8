import { createHash } from 'node:crypto';
import type { Image } from '../../src/image/model.js';
import { RootFs } from '../../src/rootfs/rootfs.js';

/** The merged filesystem of an image as sorted lines: path, type, mode, owner, size, link, content hash. */
export async function rootFsListing(image: Image): Promise<string[]> {
  const fs = await RootFs.fromImage(image);
  try {
    const lines: string[] = [];
    for (const e of fs.walk()) {
      const content = e.type === 'file' ? createHash('sha256').update(await fs.readContent(e, 0, e.size)).digest('hex').slice(0, 12) : '-';
      lines.push(`/${e.path} ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.size} ${e.linkTarget || '-'} ${content}`);
    }
    return lines.sort();
  } finally {
    await fs.close();
  }
}
