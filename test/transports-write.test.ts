import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadInputError, DigestMismatchError, UsageError } from '../src/errors.js';
import type { Image } from '../src/image/model.js';
import { openImage, writeImage } from '../src/transports/index.js';
import { readTarEntries, type TarEntry } from '../src/tar/tar-reader.js';
import { OciLayoutBuilder, hex, makeLayer, type ImageSpec } from './helpers/image-archives.js';
import { rootFsListing } from './helpers/image-listing.js';
import { dir, file, tempDir } from './helpers/synthetic.js';
import { useScratchSpace } from './helpers/scratch-space.js';

const tmp = useScratchSpace();

const at = (...parts: string[]): string => join(tmp.dir, ...parts);

const open = (ref: string): Promise<Image> => tmp.open(ref);

async function spec(gzip: boolean): Promise<ImageSpec> {
  return {
    layers: [await makeLayer([dir('etc'), file('etc/os-release', 'ID=test-distribution')], gzip), await makeLayer([dir('app'), file('app/main', 'main-program-bytes', 0o755)], gzip)],
    config: { Cmd: ['/app/main'] },
  };
}

async function members(path: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of readTarEntries({ path, start: 0, size: statSync(path).size }, path)) out.push(e);
  return out;
}

describe('docker-archive writer', () => {
  it('writes the legacy layout Docker loads, with gzip layers stored uncompressed', async () => {
    const s = await spec(true);
    const b = new OciLayoutBuilder();
    b.list(b.image(s));
    const source = await open(`oci:${b.writeTo(at('src'))}`);
    const result = await writeImage(source, `docker-archive:${at('out.tar')}:example/sample:slim`);
    expect(result).toEqual({ reference: `docker-archive:${at('out.tar')}:example/sample:slim`, imageId: source.configDigest });

    const entries = await members(at('out.tar'));
    const layerTars = s.layers.map((l) => `${hex(l.diffId)}/layer.tar`);
    expect(entries.filter((e) => e.type === 'file').map((e) => e.name)).toEqual([`${hex(source.configDigest)}.json`, ...layerTars, 'manifest.json', 'repositories']);
    const content = (name: string): Buffer => {
      const e = entries.find((m) => m.name === name)!;
      return readFileSync(at('out.tar')).subarray(e.dataOffset, e.dataOffset + e.size);
    };
    expect(content(layerTars[0]!).equals(s.layers[0]!.tar)).toBe(true);
    expect(content(layerTars[1]!).equals(s.layers[1]!.tar)).toBe(true);
    expect(content(`${hex(source.configDigest)}.json`).equals(source.rawConfig)).toBe(true);
    expect(JSON.parse(content('manifest.json').toString('utf8'))).toEqual([{ Config: `${hex(source.configDigest)}.json`, RepoTags: ['example/sample:slim'], Layers: layerTars }]);
    expect(JSON.parse(content('repositories').toString('utf8'))).toEqual({ 'example/sample': { slim: hex(s.layers[1]!.diffId) } });

    const back = await open(result.reference);
    expect(back.configDigest).toBe(source.configDigest);
    expect(back.repoTags).toEqual(['example/sample:slim']);
    expect(back.layers.map((l) => [l.compression, l.digest])).toEqual(s.layers.map((l) => ['none', l.diffId]));
    expect(await rootFsListing(back)).toEqual(await rootFsListing(source));
  });

  it('adds :latest to a bare name and refuses a name docker would refuse', async () => {
    const b = new OciLayoutBuilder();
    b.list(b.image(await spec(false)));
    const source = await open(`oci:${b.writeTo(at('src'))}`);
    expect((await writeImage(source, `docker-archive:${at('a.tar')}`, { tag: 'plain' })).reference).toBe(`docker-archive:${at('a.tar')}:plain:latest`);
    expect((await open(`docker-archive:${at('a.tar')}:plain`)).repoTags).toEqual(['plain:latest']);
    await expect(writeImage(source, `docker-archive:${at('b.tar')}:Bad/Name`)).rejects.toThrow(UsageError);
    expect(readdirSync(tmp.dir).sort()).toEqual(['a.tar', 'src']);
  });
});

describe('a failed write leaves nothing at the destination', () => {
  /** An OCI layout whose second layer's bytes were changed after the fact (same size). */
  async function corruptSource(gzip: boolean): Promise<string> {
    const s = await spec(gzip);
    const b = new OciLayoutBuilder();
    b.list(b.image(s));
    const layout = b.writeTo(at('corrupt-src'));
    const blob = at('corrupt-src', 'blobs', 'sha256', hex(s.layers[1]!.digest));
    const bytes = readFileSync(blob);
    const i = gzip ? Math.floor(bytes.length / 2) : bytes.indexOf(Buffer.from('main-program-bytes'));
    bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(blob, bytes);
    return layout;
  }

  for (const gzip of [false, true]) {
    it(`for every transport, when a ${gzip ? 'gzip' : 'plain'} source layer turns out corrupt while streaming`, async () => {
      const source = await open(`oci:${await corruptSource(gzip)}`);
      mkdirSync(at('out'));
      const expected = gzip ? BadInputError : DigestMismatchError;
      await expect(writeImage(source, `docker-archive:${at('out', 'image.tar')}:x:y`)).rejects.toThrow(expected);
      await expect(writeImage(source, `oci-archive:${at('out', 'image-oci.tar')}`)).rejects.toThrow(expected);
      await expect(writeImage(source, `oci:${at('out', 'layout')}`)).rejects.toThrow(DigestMismatchError);
      expect(readdirSync(at('out'))).toEqual([]);

      // An existing layout keeps its index.json and gains no blobs.
      const good = new OciLayoutBuilder();
      good.list(good.image({ layers: [await makeLayer([file('keep', 'me')])] }), 'old');
      const existing = good.writeTo(at('out', 'existing'));
      const before = { index: readFileSync(join(existing, 'index.json')), blobs: readdirSync(join(existing, 'blobs', 'sha256')).sort() };
      await expect(writeImage(source, `oci:${existing}:new`)).rejects.toThrow(DigestMismatchError);
      expect(readFileSync(join(existing, 'index.json')).equals(before.index)).toBe(true);
      expect(readdirSync(join(existing, 'blobs', 'sha256')).sort()).toEqual(before.blobs);
      expect(readdirSync(existing).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
      expect(readdirSync(at('out'))).toEqual(['existing']);
    });
  }

  it('replaces an existing destination file only on success', async () => {
    writeFileSync(at('image.tar'), 'previous contents');
    const source = await open(`oci:${await corruptSource(false)}`);
    await expect(writeImage(source, `docker-archive:${at('image.tar')}`)).rejects.toThrow(DigestMismatchError);
    expect(readFileSync(at('image.tar'), 'utf8')).toBe('previous contents');
    expect(readdirSync(tmp.dir).sort()).toEqual(['corrupt-src', 'image.tar']);
  });

  it('says when the destination directory does not exist', async () => {
    const b = new OciLayoutBuilder();
    b.list(b.image(await spec(false)));
    const source = await open(`oci:${b.writeTo(at('src'))}`);
    await expect(writeImage(source, `docker-archive:${at('no', 'such', 'x.tar')}`)).rejects.toThrow(`cannot write ${at('no', 'such', 'x.tar')}: no such directory ${at('no', 'such')}`);
    await expect(writeImage(source, `oci:${at('no', 'such')}`)).rejects.toThrow(/no such directory/);
    expect(readdirSync(tmp.dir)).toEqual(['src']);
  });
});
