import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadInputError, DigestMismatchError, NotFoundError, UsageError } from '../src/errors.js';
import type { Image } from '../src/image/model.js';
import { openImage } from '../src/transports/index.js';
import { openDockerArchive } from '../src/transports/docker-archive.js';
import { platformChoice } from '../src/transports/platform.js';
import { dir, file, hardlink, symlink, tarBuffer, tempDir, whiteout, type MemberSpec } from './helpers/synthetic.js';
import { useScratchSpace } from './helpers/scratch-space.js';
import { readTarEntries } from '../src/tar/tar-reader.js';
import { dockerOciSaveTar, hex, legacySaveTar, makeLayer, memberDataOffset, type ImageSpec, type LayerBlob } from './helpers/image-archives.js';
import { rootFsListing } from './helpers/image-listing.js';

const baseMembers: MemberSpec[] = [
  dir('bin'),
  { ...file('bin/sh', '#!/bin/sh-binary', 0o755) },
  symlink('bin/ls', 'sh'),
  hardlink('bin/sh2', 'bin/sh'),
  { ...file('bin/su', 'su-binary', 0o4755) },
  dir('etc'),
  file('etc/hostname', 'hello-world-content'),
  dir('home'),
  { name: 'home/u/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
  { name: 'home/u/notes', content: 'mine', mode: 0o600, uid: 1000, gid: 1000 },
  dir('usr'),
  dir('usr/share'),
  file('usr/share/doc', 'docs'),
];
const appMembers: MemberSpec[] = [whiteout('usr/share/doc'), dir('app'), file('app/run', 'run-app', 0o755)];

const tmp = useScratchSpace();

const open = (ref: string): Promise<Image> => tmp.open(ref);

function save(name: string, bytes: Buffer): string {
  const p = join(tmp.dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function twoLayerSpec(gzip = false): Promise<ImageSpec> {
  return { layers: [await makeLayer(baseMembers, gzip), await makeLayer(appMembers, gzip)], repoTags: ['example/app:1.0'] };
}

describe('docker-archive: both docker save layouts', () => {
  it('reads the legacy and the Docker 25+ layout to the same image and root filesystem', async () => {
    const spec = await twoLayerSpec();
    const legacy = await open(`docker-archive:${save('legacy.tar', await legacySaveTar([spec]))}`);
    const oci = await open(`docker-archive:${save('oci.tar', await dockerOciSaveTar([spec]))}`);

    expect(legacy.configDigest).toBe(oci.configDigest);
    expect(legacy.rawConfig.equals(oci.rawConfig)).toBe(true);
    expect(legacy.layers.map((l) => l.diffId)).toEqual(spec.layers.map((l) => l.diffId));
    expect(oci.layers.map((l) => l.digest)).toEqual(spec.layers.map((l) => l.digest));
    expect(legacy.repoTags).toEqual(['example/app:1.0']);
    expect(oci.repoTags).toEqual(['example/app:1.0']);

    const listing = await rootFsListing(legacy);
    expect(await rootFsListing(oci)).toEqual(listing);
    expect(listing.some((l) => l.startsWith('/usr/share/doc '))).toBe(false);
    expect(listing).toContain('/bin/ls symlink 644 0:0 0 sh -');
    expect(listing.find((l) => l.startsWith('/bin/su '))).toMatch(/^\/bin\/su file 4755 0:0 9 /);
    expect(listing.find((l) => l.startsWith('/home/u/notes '))).toMatch(/ 600 1000:1000 4 /);
    expect(listing.find((l) => l.startsWith('/app/run '))).toMatch(/ file 755 0:0 7 /);
  });

  it('reads gzip layers, found by their magic bytes, to the same root filesystem', async () => {
    const plain = await twoLayerSpec(false);
    const gzipped = await twoLayerSpec(true);
    const reference = await rootFsListing(await open(`docker-archive:${save('plain.tar', await legacySaveTar([plain]))}`));
    for (const [name, bytes] of [
      ['legacy-gz.tar', await legacySaveTar([gzipped])],
      ['oci-gz.tar', await dockerOciSaveTar([gzipped])],
    ] as const) {
      const image = await open(`docker-archive:${save(name, bytes)}`);
      expect(image.layers.map((l) => l.compression)).toEqual(['gzip', 'gzip']);
      expect(image.layers.map((l) => l.digest)).toEqual(gzipped.layers.map((l) => l.digest));
      expect(image.layers.map((l) => l.diffId)).toEqual(plain.layers.map((l) => l.diffId));
      expect(await rootFsListing(image)).toEqual(reference);
    }
  });

  it('picks an image by REF, refuses to guess between several, and follows layer.tar symlinks', async () => {
    const base = await makeLayer(baseMembers);
    const other = await makeLayer([file('other', 'x')]);
    const a: ImageSpec = { layers: [base, await makeLayer(appMembers)], repoTags: ['a:1'] };
    // The base layer sits at another position in b, so legacy save links b's layer.tar to a's.
    const b: ImageSpec = { layers: [other, base], repoTags: ['b:2', 'b:latest'] };
    for (const [name, bytes] of [
      ['legacy-multi.tar', await legacySaveTar([a, b])],
      ['oci-multi.tar', await dockerOciSaveTar([a, b])],
    ] as const) {
      const p = save(name, bytes);
      const imageB = await open(`docker-archive:${p}:b:2`);
      expect(imageB.layers.map((l) => l.diffId)).toEqual([other.diffId, base.diffId]);
      expect(await rootFsListing(imageB)).toContain('/other file 644 0:0 1 - 2d711642b726');
      expect((await open(`docker-archive:${p}:b`)).configDigest).toBe(imageB.configDigest);
      expect((await open(`docker-archive:${p}:a:1`)).layers).toHaveLength(2);
      const ambiguous = openImage(`docker-archive:${p}`);
      await expect(ambiguous).rejects.toThrow(UsageError);
      await expect(ambiguous).rejects.toThrow(/holds 2 images; name one as docker-archive:PATH:REF \(a:1, b:2 b:latest\)/);
      await expect(openImage(`docker-archive:${p}:c:3`)).rejects.toThrow(NotFoundError);
    }
    // The legacy archive really does hold the link (a member later than its target here, or earlier: both work).
    const links: string[] = [];
    for await (const e of readTarEntries(fileRange(save('check.tar', await legacySaveTar([a, b]))), 'check')) if (e.type === 'symlink') links.push(e.linkname);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^\.\.\/[0-9a-f]{64}\/layer\.tar$/);
  });

  it('reads a Docker 25+ save through oci-archive: too, by the ref name Docker records', async () => {
    const p = save('oci.tar', await dockerOciSaveTar([await twoLayerSpec()]));
    const image = await open(`oci-archive:${p}:1.0`);
    expect(image.repoTags).toEqual(['example/app:1.0']);
    expect((await open(`oci-archive:${p}`)).configDigest).toBe(image.configDigest);
  });

  it('releases its temporary files on close', async () => {
    const work = join(tmp.dir, 'work');
    mkdirSync(work);
    const before = process.env.WHITTLE_TMPDIR;
    process.env.WHITTLE_TMPDIR = work;
    try {
      const image = await openImage(`docker-archive:${save('gz.tar', await legacySaveTar([await twoLayerSpec(true)]))}`);
      const tar = await image.layers[0]!.tar();
      expect(tar.path.startsWith(work)).toBe(true);
      expect(existsSync(tar.path)).toBe(true);
      await image.close();
      await image.close();
      expect(readdirSync(work)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.WHITTLE_TMPDIR;
      else process.env.WHITTLE_TMPDIR = before;
    }
  });
});

describe('docker-archive: broken and hostile input', () => {
  async function legacyBytes(): Promise<{ bytes: Buffer; spec: ImageSpec }> {
    const spec = await twoLayerSpec();
    return { bytes: await legacySaveTar([spec]), spec };
  }

  it('says a truncated archive is truncated', async () => {
    const { bytes, spec } = await legacyBytes();
    const layerTar = `${legacyLayerDir(bytes, spec.layers[0]!)}/layer.tar`;
    const cut = bytes.subarray(0, memberDataOffset(bytes, layerTar) + 700);
    const p = save('cut.tar', cut);
    await expect(openImage(`docker-archive:${p}`)).rejects.toThrow(BadInputError);
    await expect(openImage(`docker-archive:${p}`)).rejects.toThrow(new RegExp(`${escape(p)}: tar is truncated inside "${escape(layerTar)}"`));
  });

  it('names a missing layer blob', async () => {
    const spec = await twoLayerSpec();
    const bytes = await dockerOciSaveTar([spec]);
    // Rename the member so the archive stays a valid tar without it.
    const name = `blobs/sha256/${hex(spec.layers[1]!.digest)}`;
    const at = bytes.indexOf(Buffer.from(name));
    const broken = Buffer.from(bytes);
    broken.write('x', at + name.length - 1, 'latin1');
    fixChecksum(broken, at);
    const p = save('missing.tar', broken);
    await expect(openImage(`docker-archive:${p}`)).rejects.toThrow(BadInputError);
    await expect(openImage(`docker-archive:${p}`)).rejects.toThrow(`${p}: layer 2 (${name}) is missing`);
  });

  it('catches a layer whose bytes do not match its digest', async () => {
    for (const make of [legacySaveTar, dockerOciSaveTar]) {
      const bytes = Buffer.from(await make([await twoLayerSpec()]));
      const at = bytes.indexOf(Buffer.from('hello-world-content'));
      bytes[at] = 'j'.charCodeAt(0);
      const image = await open(`docker-archive:${save('bad.tar', bytes)}`);
      await expect(image.layers[0]!.tar()).rejects.toThrow(DigestMismatchError);
      // The blob stream fails at its end, after passing every byte through.
      await expect(drain(image.layers[0]!.openBlob())).rejects.toThrow(/digest mismatch in .*layer 1/);
      await expect(drain(image.layers[1]!.openBlob())).resolves.toBe(image.layers[1]!.size);
    }
  });

  it('trusts layer digests only when told to (a spool the daemon just wrote)', async () => {
    const bytes = Buffer.from(await legacySaveTar([await twoLayerSpec()]));
    const at = bytes.indexOf(Buffer.from('hello-world-content'));
    bytes[at] = 'j'.charCodeAt(0);
    const p = save('trusted.tar', bytes);
    const trusted = await openDockerArchive(p, undefined, platformChoice(undefined), { trustLayerDigests: true });
    try {
      // Not hashed: the changed byte reaches the reader as the source had it.
      const layer = await trusted.layers[0]!.tar();
      const names: string[] = [];
      for await (const e of readTarEntries(layer, 'layer')) names.push(e.name);
      expect(names).toContain('etc/hostname');
      await expect(drain(trusted.layers[0]!.openBlob())).resolves.toBe(trusted.layers[0]!.size);
    } finally {
      await trusted.close();
    }
    const checked = await openDockerArchive(p, undefined, platformChoice(undefined));
    try {
      await expect(checked.layers[0]!.tar()).rejects.toThrow(DigestMismatchError);
    } finally {
      await checked.close();
    }
  });

  it('catches a config that does not match its name', async () => {
    for (const make of [legacySaveTar, dockerOciSaveTar]) {
      const bytes = Buffer.from(await make([await twoLayerSpec()]));
      const at = bytes.indexOf(Buffer.from('step 1'));
      bytes[at] = 'S'.charCodeAt(0);
      await expect(openImage(`docker-archive:${save('badconfig.tar', bytes)}`)).rejects.toThrow(DigestMismatchError);
    }
  });

  it('says which JSON file is corrupt', async () => {
    const { bytes } = await legacyBytes();
    const at = memberDataOffset(bytes, 'manifest.json');
    const broken = Buffer.from(bytes);
    broken.write('#', at, 'latin1');
    const p = save('json.tar', broken);
    await expect(openImage(`docker-archive:${p}`)).rejects.toThrow(new RegExp(`^${escape(p)}: manifest.json is not valid JSON`));
  });

  it('refuses archive members with ".." or an absolute path', async () => {
    for (const name of ['../evil', 'blobs/../../evil', '/etc/passwd']) {
      const p = save('hostile.tar', await tarBuffer([file('manifest.json', '[]'), file(name, 'x')]));
      const err = await openImage(`docker-archive:${p}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadInputError);
      expect((err as Error).message).toBe(`${p}: archive member ${JSON.stringify(name)} has an unsafe path (absolute or with "..")`);
    }
  });

  it('rejects what is not a docker save tar, and a path that does not exist', async () => {
    await expect(openImage(`docker-archive:${save('junk.tar', Buffer.alloc(2048, 7))}`)).rejects.toThrow(/not a tar, or corrupt/);
    await expect(openImage(`docker-archive:${save('empty.tar', await tarBuffer([file('x', 'y')]))}`)).rejects.toThrow(/not a docker save archive \(no manifest.json\)/);
    await expect(openImage(`docker-archive:${join(tmp.dir, 'nope.tar')}`)).rejects.toThrow(NotFoundError);
  });
});

function legacyLayerDir(bytes: Buffer, layer: LayerBlob): string {
  const manifest = JSON.parse(bytes.subarray(memberDataOffset(bytes, 'manifest.json')).toString('utf8').replace(/\n[\s\S]*$/, '')) as Array<{ Layers: string[] }>;
  const config = JSON.parse(bytes.subarray(bytes.indexOf(Buffer.from('{"architecture"'))).toString('utf8').replace(/\0[\s\S]*$/, '')) as { rootfs: { diff_ids: string[] } };
  return manifest[0]!.Layers[config.rootfs.diff_ids.indexOf(layer.diffId)]!.split('/')[0]!;
}

function fixChecksum(tar: Buffer, anywhereInHeader: number): void {
  const start = anywhereInHeader - (anywhereInHeader % 512);
  const h = tar.subarray(start, start + 512);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

function fileRange(path: string): { path: string; start: number; size: number } {
  return { path, start: 0, size: statSync(path).size };
}
