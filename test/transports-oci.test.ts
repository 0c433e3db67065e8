import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadInputError, NotFoundError, UsageError } from '../src/errors.js';
import type { Image } from '../src/image/model.js';
import { hostPlatform, openImage, writeImage } from '../src/transports/index.js';
import { readTarEntries } from '../src/tar/tar-reader.js';
import { OciLayoutBuilder, hex, legacySaveTar, makeLayer, sha256, type ImageSpec } from './helpers/image-archives.js';
import { rootFsListing } from './helpers/image-listing.js';
import { dir, file, symlink, tempDir } from './helpers/synthetic.js';
import { useScratchSpace } from './helpers/scratch-space.js';

const tmp = useScratchSpace();

let opened: Image[] = [];
afterEach(async () => {
  await Promise.all(opened.map((i) => i.close()));
  opened = [];
});

async function open(ref: string, platform?: { os: string; architecture: string; variant?: string }): Promise<Image> {
  const image = await openImage(ref, platform ? { platform } : {});
  opened.push(image);
  return image;
}

const at = (...parts: string[]): string => join(tmp.dir, ...parts);

async function sampleSpec(gzipTop = true): Promise<ImageSpec> {
  return {
    layers: [await makeLayer([dir('bin'), file('bin/tool', 'tool-bytes', 0o755), symlink('bin/t', 'tool')]), await makeLayer([dir('data'), file('data/x', 'payload')], gzipTop)],
    repoTags: ['sample:1'],
    config: { Entrypoint: ['/bin/tool'], Env: ['A=1'], User: '1000', WorkingDir: '/data' },
  };
}

interface Manifest {
  config: { digest: string; mediaType: string };
  layers: Array<{ mediaType: string; digest: string; size: number }>;
}
interface Index {
  manifests: Array<{ digest: string; annotations?: Record<string, string>; platform?: { os: string; architecture: string } }>;
}
const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

describe('oci: layout directories', () => {
  it('round-trips an image through an OCI layout, config bytes and layers as stored', async () => {
    const spec = await sampleSpec();
    writeFileSync(at('src.tar'), await legacySaveTar([spec]));
    const source = await open(`docker-archive:${at('src.tar')}`);
    const result = await writeImage(source, `oci:${at('layout')}:v1`);
    expect(result).toEqual({ reference: `oci:${at('layout')}:v1`, imageId: source.configDigest, manifestDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });

    // The layout as the spec lays it out.
    expect(readJson(at('layout', 'oci-layout'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = readJson<Index>(at('layout', 'index.json'));
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.digest).toBe(result.manifestDigest);
    expect(index.manifests[0]!.annotations).toEqual({ 'org.opencontainers.image.ref.name': 'v1' });
    const manifestBytes = readFileSync(at('layout', 'blobs', 'sha256', hex(result.manifestDigest!)));
    expect(sha256(manifestBytes)).toBe(result.manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
    expect(manifest.config).toMatchObject({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: source.configDigest });
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.v1.tar+gzip']);
    expect(manifest.layers.map((l) => l.digest)).toEqual(spec.layers.map((l) => l.digest));
    expect(readFileSync(at('layout', 'blobs', 'sha256', hex(source.configDigest))).equals(source.rawConfig)).toBe(true);
    expect(readFileSync(at('layout', 'blobs', 'sha256', hex(spec.layers[1]!.digest))).equals(spec.layers[1]!.blob)).toBe(true);

    const back = await open(`oci:${at('layout')}:v1`);
    expect(back.configDigest).toBe(source.configDigest);
    expect(back.rawConfig.equals(source.rawConfig)).toBe(true);
    expect(back.config.config?.Entrypoint).toEqual(['/bin/tool']);
    expect(back.layers.map((l) => l.compression)).toEqual(['none', 'gzip']);
    expect(back.repoTags).toEqual(['v1']);
    expect(await rootFsListing(back)).toEqual(await rootFsListing(source));
    expect(readdirSync(tmp.dir).sort()).toEqual(['layout', 'src.tar']);
  });

  it('adds to an existing layout, replacing the image of the same ref name', async () => {
    const first = await sampleSpec(false);
    const second: ImageSpec = { layers: [await makeLayer([file('only', 'two')])] };
    writeFileSync(at('a.tar'), await legacySaveTar([first]));
    writeFileSync(at('b.tar'), await legacySaveTar([second]));
    const a = await open(`docker-archive:${at('a.tar')}`);
    const b = await open(`docker-archive:${at('b.tar')}`);
    await writeImage(a, `oci:${at('layout')}:a`);
    await writeImage(b, `oci:${at('layout')}`, { tag: 'b' });
    await writeImage(b, `oci:${at('layout')}:a`);
    const index = readJson<Index>(at('layout', 'index.json'));
    expect(index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'])).toEqual(['b', 'a']);
    expect((await open(`oci:${at('layout')}:a`)).configDigest).toBe(b.configDigest);
    expect((await open(`oci:${at('layout')}:b`)).configDigest).toBe(b.configDigest);
    // a's blobs stay (other refs might share them); nothing temporary is left.
    expect(readdirSync(at('layout', 'blobs', 'sha256')).every((n) => /^[0-9a-f]{64}$/.test(n))).toBe(true);
  });

  it('refuses to write into a directory that is not a layout', async () => {
    mkdirSync(at('busy'));
    writeFileSync(at('busy', 'file'), 'x');
    writeFileSync(at('src.tar'), await legacySaveTar([await sampleSpec()]));
    const source = await open(`docker-archive:${at('src.tar')}`);
    await expect(writeImage(source, `oci:${at('busy')}`)).rejects.toThrow(UsageError);
    expect(readdirSync(at('busy'))).toEqual(['file']);
    // An empty directory is fine.
    mkdirSync(at('empty'));
    await writeImage(source, `oci:${at('empty')}`);
    expect(readdirSync(at('empty')).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  });

  it('picks by ref name, refuses to guess between named images, and reports what it lacks', async () => {
    const b = new OciLayoutBuilder();
    b.list(b.image({ layers: [await makeLayer([file('a', '1')])] }), 'one');
    b.list(b.image({ layers: [await makeLayer([file('b', '2')])] }), 'two');
    const layout = b.writeTo(at('named'));
    expect(await rootFsListing(await open(`oci:${layout}:two`))).toEqual(['/b file 644 0:0 1 - d4735e3a265e']);
    await expect(openImage(`oci:${layout}`)).rejects.toThrow(/holds 2 images; name one as oci:PATH:REF or oci-archive:PATH:REF \(one, two\)/);
    await expect(openImage(`oci:${layout}:three`)).rejects.toThrow(NotFoundError);
    await expect(openImage(`oci:${layout}:three`)).rejects.toThrow(/no image named "three" \(it has: one, two\)/);
    await expect(openImage(`oci:${at('nothing-here')}`)).rejects.toThrow(NotFoundError);
    mkdirSync(at('not-layout'));
    await expect(openImage(`oci:${at('not-layout')}`)).rejects.toThrow(/not an OCI image layout \(no index.json\)/);
  });
});

describe('oci: platforms', () => {
  async function multiPlatformLayout(kind: 'oci' | 'docker', nested: boolean): Promise<string> {
    const b = new OciLayoutBuilder();
    const amd = b.image({ layers: [await makeLayer([file('arch', 'amd64')])], architecture: 'amd64' }, kind);
    const arm = b.image({ layers: [await makeLayer([file('arch', 'arm64')])], architecture: 'arm64', variant: 'v8' }, kind);
    const armv7 = b.image({ layers: [await makeLayer([file('arch', 'armv7')])], architecture: 'arm', variant: 'v7' }, kind);
    // BuildKit attaches attestations as unknown/unknown manifests.
    const attestation = { ...b.image({ layers: [await makeLayer([file('sbom', '{}')])] }), platform: { os: 'unknown', architecture: 'unknown' } };
    const entries = [amd, arm, armv7, attestation];
    if (nested) b.list(b.index(entries, kind), 'multi');
    else for (const e of entries) b.list(e);
    return b.writeTo(at(`${kind}-${nested}`));
  }

  for (const [kind, nested] of [
    ['oci', true],
    ['docker', true],
    ['oci', false],
  ] as const) {
    it(`picks the platform from ${nested ? `a nested ${kind === 'docker' ? 'Docker manifest list' : 'OCI image index'}` : 'index.json itself'}`, async () => {
      const layout = await multiPlatformLayout(kind, nested);
      const arch = async (image: Image): Promise<string> => {
        const fs = (await rootFsListing(image)).find((l) => l.startsWith('/arch '));
        return `${image.config.architecture}:${fs}`;
      };
      expect(await arch(await open(`oci:${layout}`, { os: 'linux', architecture: 'arm64' }))).toMatch(/^arm64:\/arch file 644 0:0 5 /);
      expect(await arch(await open(`oci:${layout}`, { os: 'linux', architecture: 'arm', variant: 'v7' }))).toMatch(/^arm:/);
      expect(await arch(await open(`oci:${layout}`, { os: 'linux', architecture: 'amd64' }))).toMatch(/^amd64:/);
      // The default is the host's platform.
      const host = hostPlatform();
      if (['amd64', 'arm64'].includes(host.architecture)) expect((await open(`oci:${layout}`)).config.architecture).toBe(host.architecture);
      const err = await openImage(`oci:${layout}`, { platform: { os: 'linux', architecture: 's390x' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toBe(`${layout}: no image for platform linux/s390x; it has linux/amd64, linux/arm64/v8, linux/arm/v7 (choose one with --platform)`);
    });
  }

  it('takes a lone image whatever its platform, unless the user asked for another', async () => {
    const b = new OciLayoutBuilder();
    b.list(b.image({ layers: [await makeLayer([file('x', 'y')])], architecture: 'riscv64' }));
    const layout = b.writeTo(at('lone'));
    expect((await open(`oci:${layout}`)).config.architecture).toBe('riscv64');
    await expect(openImage(`oci:${layout}`, { platform: { os: 'linux', architecture: 'arm64' } })).rejects.toThrow(/no image for platform linux\/arm64; it has linux\/riscv64/);
  });

  it('checks index and manifest blobs against their digests', async () => {
    const b = new OciLayoutBuilder();
    const m = b.image({ layers: [await makeLayer([file('x', 'y')])] });
    b.list(m);
    const layout = b.writeTo(at('tampered'));
    const blob = at('tampered', 'blobs', 'sha256', hex(m.digest));
    writeFileSync(blob, readFileSync(blob, 'utf8').replace('"schemaVersion":2', '"schemaVersion":3'));
    await expect(openImage(`oci:${layout}`)).rejects.toThrow(/digest mismatch in .*blobs\/sha256\//);
    await expect(openImage(`oci:${layout}`)).rejects.toThrow(BadInputError);
  });
});

describe('oci-archive', () => {
  it('writes a tar of an OCI layout and reads it back', async () => {
    const spec = await sampleSpec();
    writeFileSync(at('src.tar'), await legacySaveTar([spec]));
    const source = await open(`docker-archive:${at('src.tar')}`);
    const result = await writeImage(source, `oci-archive:${at('out.tar')}:sample`);
    expect(result.reference).toBe(`oci-archive:${at('out.tar')}:sample`);
    const names: string[] = [];
    for await (const e of readTarEntries({ path: at('out.tar'), start: 0, size: readFileSync(at('out.tar')).length }, 'out')) names.push(e.name);
    expect(names).toEqual([
      'oci-layout',
      'blobs/',
      'blobs/sha256/',
      `blobs/sha256/${hex(source.configDigest)}`,
      `blobs/sha256/${hex(spec.layers[0]!.digest)}`,
      `blobs/sha256/${hex(spec.layers[1]!.digest)}`,
      `blobs/sha256/${hex(result.manifestDigest!)}`,
      'index.json',
    ]);
    const back = await open(`oci-archive:${at('out.tar')}:sample`);
    expect(back.configDigest).toBe(source.configDigest);
    expect(await rootFsListing(back)).toEqual(await rootFsListing(source));
    // And the same through an OCI archive built by another writer.
    const b = new OciLayoutBuilder();
    b.list(b.image(spec), 'sample');
    writeFileSync(at('other.tar'), await b.tar());
    expect((await open(`oci-archive:${at('other.tar')}`)).configDigest).toBe(source.configDigest);
  });
});
