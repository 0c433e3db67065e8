/**
 * The daemon's save stream is written to a spool and each layer tar in it is listed while the
 * rest still streams in. The listing must be the one reading the archive gives, whatever the
 * chunk sizes, and a member that is not a tar must simply not be listed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DaemonSpool } from '../src/transports/daemon-spool.js';
import { openDockerArchive } from '../src/transports/docker-archive.js';
import { platformChoice } from '../src/transports/platform.js';
import { readTarEntries, type TarEntry } from '../src/tar/tar-reader.js';
import { RootFs } from '../src/rootfs/rootfs.js';
import { dir, file, symlink, tempDir, whiteout } from './helpers/synthetic.js';
import { legacySaveTar, makeLayer } from './helpers/image-archives.js';

/** Chunks of awkward sizes, so headers and members straddle chunk boundaries. */
function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function listAll(path: string, start: number, size: number): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of readTarEntries({ path, start, size }, 'x')) out.push(e);
  return out;
}

describe('daemon spool', () => {
  it('lists every layer as reading the archive does, for any chunk size', async () => {
    const longName = `app/${'deep/'.repeat(30)}file.txt`;
    const save = await legacySaveTar([
      {
        layers: [await makeLayer([dir('etc'), file('etc/hostname', 'h'), symlink('etc/alias', 'hostname'), file(longName, 'long')]), await makeLayer([whiteout('etc/hostname'), file('app/run', 'x'.repeat(3000), 0o755)])],
        repoTags: ['example/app:1'],
      },
    ]);
    for (const size of [1, 511, 513, 4096, 1 << 20]) {
      const tmp = tempDir();
      try {
        const spool = new DaemonSpool(join(tmp.dir, 'save.tar'));
        await pipeline(chunked(save, size), spool);
        expect(readFileSync(spool.path).equals(save)).toBe(true);
        const image = await openDockerArchive(spool.path, undefined, platformChoice(undefined), { trustLayerDigests: true, listedMembers: spool.listed, onClose: () => spool.close() });
        try {
          for (const layer of image.layers) {
            const range = await layer.tar();
            const listed = await layer.takeListedEntries!();
            expect(listed, `chunks of ${size}`).toEqual(await listAll(range.path, range.start, range.size));
            // Given once.
            expect(await layer.takeListedEntries!()).toBeUndefined();
          }
        } finally {
          await image.close();
        }
        // The config and manifest are members too, but not tars: not listed.
        const notTars = [...spool.listed.keys()].filter((k) => k.endsWith('.json'));
        expect(notTars.length).toBeGreaterThan(0);
        for (const k of notTars) expect(await spool.listed.get(k)).toBeUndefined();
      } finally {
        tmp.cleanup();
      }
    }
  });

  it('gives the same root filesystem as reading the archive', async () => {
    const save = await legacySaveTar([{ layers: [await makeLayer([dir('bin'), file('bin/sh', 'sh', 0o755), file('bin/old', 'o')]), await makeLayer([whiteout('bin/old'), file('bin/new', 'n')])], repoTags: [] }]);
    const tmp = tempDir();
    try {
      const spool = new DaemonSpool(join(tmp.dir, 'save.tar'));
      await pipeline(chunked(save, 700), spool);
      const listedImage = await openDockerArchive(spool.path, undefined, platformChoice(undefined), { trustLayerDigests: true, listedMembers: spool.listed, onClose: () => spool.close() });
      const plainImage = await openDockerArchive(spool.path, undefined, platformChoice(undefined));
      try {
        const paths = async (fs: RootFs): Promise<string[]> => [...fs.walk()].map((e) => `${e.path} ${e.type} ${e.size}`);
        expect(await paths(await RootFs.fromImage(listedImage))).toEqual(await paths(await RootFs.fromImage(plainImage)));
        expect(await paths(await RootFs.fromImage(plainImage))).toContain('bin/new file 1');
      } finally {
        await listedImage.close();
        await plainImage.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
