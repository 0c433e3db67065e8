/**
 * A copy through every transport with the real daemon: daemon -> docker-archive -> oci ->
 * oci-archive -> daemon under a new tag must give back the same image: same ID, same config,
 * the same files (`docker export`), and it must still run.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError, DigestMismatchError, NotFoundError } from '../src/errors.js';
import type { Image } from '../src/image/model.js';
import { openImage, writeImage } from '../src/transports/index.js';
import { docker, dockerOk, ensureFixture, exportListing, removeImages, runImage } from './helpers/docker.js';
import { OciLayoutBuilder, makeLayer } from './helpers/image-archives.js';
import { rootFsListing } from './helpers/image-listing.js';
import { file, tempDir } from './helpers/synthetic.js';

const COPY_TAG = `whittle-test/copy-sample:roundtrip-${process.pid}`;
const BAD_TAG = `whittle-test/copy-sample:must-not-exist-${process.pid}`;
const OS_TAG = `whittle-test/copy-sample:windows-${process.pid}`;

let tmp: ReturnType<typeof tempDir>;
let source: string;

beforeAll(async () => {
  source = await ensureFixture('copy-sample');
  tmp = tempDir();
});

afterAll(async () => {
  await removeImages(COPY_TAG, BAD_TAG, OS_TAG);
  tmp?.cleanup();
});

async function inspect(ref: string): Promise<{ Id: string; Config: Record<string, unknown>; RootFS: { Layers: string[] } }> {
  const [info] = JSON.parse(await dockerOk(['image', 'inspect', ref])) as Array<{ Id: string; Config: Record<string, unknown>; RootFS: { Layers: string[] } }>;
  return info!;
}

/** `docker create` makes /etc/mtab (and so touches /etc) in each container: not the image's. */
function stable(listing: string[]): string[] {
  return listing.map((l) => (/ etc\/(mtab -> \/proc\/mounts)?$/.test(l) ? l.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, 'container-time') : l));
}

/** Opens `from`, writes it to `to`, closes it; returns what writeImage said. */
async function copy(from: string, to: string): Promise<Awaited<ReturnType<typeof writeImage>>> {
  const image = await openImage(from);
  try {
    return await writeImage(image, to);
  } finally {
    await image.close();
  }
}

describe('copy through every transport with the Docker daemon', () => {
  it('daemon -> docker-archive -> oci -> oci-archive -> daemon keeps the image', async () => {
    const original = await inspect(source);
    const archive = join(tmp.dir, 'sample.tar');
    const layout = join(tmp.dir, 'layout');
    const ociArchive = join(tmp.dir, 'sample-oci.tar');

    const fromDaemon = await openImage(`docker-daemon:${source}`);
    let daemonListing: string[];
    try {
      expect(fromDaemon.configDigest).toBe(original.Id);
      expect(fromDaemon.repoTags[0]).toBe(source);
      expect(fromDaemon.layers.map((l) => l.diffId)).toEqual(original.RootFS.Layers);
      daemonListing = await rootFsListing(fromDaemon);
      expect(await writeImage(fromDaemon, `docker-archive:${archive}:whittle-test/copy-sample:archived`)).toEqual({ reference: `docker-archive:${archive}:whittle-test/copy-sample:archived`, imageId: original.Id });
    } finally {
      await fromDaemon.close();
    }
    expect((await copy(`docker-archive:${archive}`, `oci:${layout}:sample`)).imageId).toBe(original.Id);
    expect((await copy(`oci:${layout}:sample`, `oci-archive:${ociArchive}:sample`)).imageId).toBe(original.Id);
    const back = await openImage(`oci-archive:${ociArchive}:sample`);
    try {
      // The model's view agrees at every step, not only at the end.
      expect(await rootFsListing(back)).toEqual(daemonListing);
      expect(await writeImage(back, `docker-daemon:${COPY_TAG}`)).toEqual({ reference: `docker-daemon:${COPY_TAG}`, imageId: original.Id });
    } finally {
      await back.close();
    }

    const copied = await inspect(COPY_TAG);
    expect(copied.Id).toBe(original.Id);
    expect(copied.Config).toEqual(original.Config);
    expect(copied.Config).toMatchObject({ User: '1000:1000', WorkingDir: '/opt/sample/data', Entrypoint: ['/opt/sample/bin/hello'], Cmd: ['from', 'the', 'copy'] });

    const [before, after] = [stable(await exportListing(source)), stable(await exportListing(COPY_TAG))];
    expect(after).toEqual(before);
    // The listing covers what the fixture is made of.
    expect(after.find((l) => l.endsWith(' opt/sample/bin/suid-true'))).toMatch(/^-rwsr-xr-x 0\/0 /);
    expect(after.find((l) => l.endsWith(' opt/sample/data/owned'))).toMatch(/ 1000\/1000 /);
    expect(after.some((l) => l.includes('opt/sample/bin/hello-hardlink link to opt/sample/bin/hello'))).toBe(true);
    expect(after.some((l) => l.includes('opt/sample/bin/hello-symlink -> hello'))).toBe(true);
    expect(after.some((l) => l.includes('opt/sample/data/doomed'))).toBe(false);

    const ran = await runImage(COPY_TAG);
    expect(ran).toMatchObject({ code: 0, stdout: 'copy-sample says: from the copy\n' });
    expect(readdirSync(tmp.dir).sort()).toEqual(['layout', 'sample-oci.tar', 'sample.tar']);
  }, 600_000);

  it('says in one line that an image is not in the daemon', async () => {
    const err = await openImage('docker-daemon:whittle-test/no-such-image:nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe('image whittle-test/no-such-image:nope not found in the Docker daemon');
  });

  it('names the socket when the daemon cannot be reached', async () => {
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(tmp.dir, 'no-daemon.sock')}`;
    try {
      const err = await openImage(`docker-daemon:${source}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as Error).message).toContain(`cannot reach the Docker daemon at unix://${join(tmp.dir, 'no-daemon.sock')}`);
      expect((err as Error).message).toContain('start dockerd');
    } finally {
      if (before === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = before;
    }
  });

  it('loads nothing when a source layer is corrupt, and reports the layer, not the daemon', async () => {
    const b = new OciLayoutBuilder();
    const layer = await makeLayer([file('payload', 'x'.repeat(100_000))]);
    b.list(b.image({ layers: [layer] }));
    const dir = b.writeTo(join(tmp.dir, 'corrupt'));
    const { readFileSync, writeFileSync } = await import('node:fs');
    const blob = join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = readFileSync(blob);
    bytes[bytes.indexOf(Buffer.from('xxxx')) + 50_000] = 0x79;
    writeFileSync(blob, bytes);
    const image = await openImage(`oci:${dir}`);
    try {
      await expect(writeImage(image, `docker-daemon:${BAD_TAG}`)).rejects.toThrow(DigestMismatchError);
    } finally {
      await image.close();
    }
    expect((await docker(['image', 'inspect', BAD_TAG])).code).not.toBe(0);
  });

  it("turns the load endpoint's error message into a DaemonError", async () => {
    const b = new OciLayoutBuilder();
    b.list(b.image({ layers: [await makeLayer([file('x', 'y')])], os: 'windows' }));
    const image = await openImage(`oci:${b.writeTo(join(tmp.dir, 'windows'))}`);
    try {
      const err = await writeImage(image, `docker-daemon:${OS_TAG}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as Error).message).toMatch(/^the Docker daemon refused to load whittle-test\/copy-sample:windows-\d+: .*windows/);
    } finally {
      await image.close();
    }
  });
});
