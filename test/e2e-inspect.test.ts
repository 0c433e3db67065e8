/**
 * `whittle inspect` and `whittle copy` against the real Docker daemon: the numbers must be the
 * daemon's own (image ID, layers, `docker image inspect`'s Size, `docker history`'s sizes).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/errors.js';
import type { ImageReport } from '../src/inspect/inspect-image.js';
import { whittle } from './helpers/cli.js';
import { dockerOk, ensureFixture, removeImages, repoRoot, run } from './helpers/docker.js';
import { dir, file, tarBuffer, tempDir, type MemberSpec } from './helpers/synthetic.js';

const BASE = 'whittle-fixture/base:latest';

interface DockerInspect {
  Id: string;
  Size: number;
  Os: string;
  Architecture: string;
  RootFS: { Layers: string[] };
  Config: { Cmd: string[] | null; Env: string[] | null; Entrypoint: string[] | null; WorkingDir: string };
}

async function dockerInspect(ref: string): Promise<DockerInspect> {
  return (JSON.parse(await dockerOk(['image', 'inspect', ref])) as DockerInspect[])[0]!;
}

async function inspectJson(ref: string): Promise<ImageReport> {
  const r = await whittle(['inspect', '--json', ref]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ImageReport;
}

/** Non-empty history rows of `docker history`, oldest first: [size in bytes, created by]. */
async function dockerHistory(ref: string): Promise<Array<[number, string]>> {
  const out = await dockerOk(['history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', ref]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const tab = l.indexOf('\t');
      return [Number(l.slice(0, tab)), l.slice(tab + 1)] as [number, string];
    })
    .reverse();
}

let tmp: ReturnType<typeof tempDir>;
const created: string[] = [];

beforeAll(async () => {
  tmp = tempDir();
  // Cached by hash: seconds when the base exists.
  const r = await run('bash', [join(repoRoot, 'fixtures', 'base', 'build.sh')], { timeoutMs: 20 * 60_000 });
  if (r.code !== 0) throw new Error(`base fixture did not build: ${r.stderr}`);
}, 20 * 60_000);

afterAll(async () => {
  await removeImages(...created);
  tmp?.cleanup();
});

describe('whittle inspect on the daemon', () => {
  it("matches docker image inspect for the base image: ID, layers, Size, config", async () => {
    const [report, theirs] = await Promise.all([inspectJson(`docker-daemon:${BASE}`), dockerInspect(BASE)]);
    expect(report.id).toBe(theirs.Id);
    expect(report.layers.map((l) => l.diffId)).toEqual(theirs.RootFS.Layers);
    // Docker counts file bytes plus symlink target lengths; whittle reports that as size...
    expect(report.size).toBe(theirs.Size);
    // ...and the plain file bytes separately, which are smaller by the symlinks.
    expect(report.contentBytes).toBeLessThan(report.size);
    expect(report.platform).toBe(`${theirs.Os}/${theirs.Architecture}`);
    expect(report.config.Cmd).toEqual(theirs.Config.Cmd);
    expect(report.config.Env).toEqual(theirs.Config.Env ?? []);
    expect(report.fileCount).toBeGreaterThan(1000);
    // One layer: nothing can be in two layers.
    expect(report.wastedBytes).toBe(0);
    expect(report.efficiency).toBe(1);
    expect(report.largestDirectories[0]!.path).toBe('/usr');
  });

  it('matches docker history layer by layer on a built image', async () => {
    const tag = await ensureFixture('entrypoint-script');
    const [report, theirs, history] = await Promise.all([inspectJson(tag), dockerInspect(tag), dockerHistory(tag)]);
    expect(report.id).toBe(theirs.Id);
    expect(report.layers).toHaveLength(theirs.RootFS.Layers.length);
    expect(report.size).toBe(theirs.Size);
    // Rows with a size are layers; whittle's layers with a size must be the same rows, in order.
    const ours = report.layers.filter((l) => l.size > 0).map((l) => [l.size, l.createdBy.trim()] as [number, string]);
    expect(ours).toEqual(history.filter(([size]) => size > 0).map(([size, by]) => [size, by.trim()]));
    expect(report.config.Entrypoint).toEqual(theirs.Config.Entrypoint);
    expect(report.config.WorkingDir).toBe(theirs.Config.WorkingDir);
  });

  it('the text form shows the same size in bytes', async () => {
    const r = await whittle(['inspect', BASE]);
    expect(r.code, r.stderr).toBe(0);
    const theirs = await dockerInspect(BASE);
    expect(r.stdout).toContain(`(${theirs.Size} bytes, as docker image inspect counts)`);
  });

  it('an unreachable daemon is the daemon exit code and one line', async () => {
    const r = await whittle(['inspect', `docker-daemon:${BASE}`], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(r.code, r.stderr).toBe(EXIT_CODES.daemon);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^whittle: .*\/nonexistent\.sock/);
  });

  it('an image the daemon does not have is not found', async () => {
    const r = await whittle(['inspect', 'docker-daemon:whittle-test/no-such-image:nope']);
    expect(r.code, r.stderr).toBe(EXIT_CODES['not-found']);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('whittle copy with the daemon', () => {
  it('loads an archive into the daemon under its tag, with the same image ID', async () => {
    const layer: MemberSpec[] = [dir('etc'), file('etc/hello', 'hello from whittle copy\n')];
    const tar = await tarBuffer(layer);
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const config = Buffer.from(JSON.stringify({ architecture: process.arch === 'arm64' ? 'arm64' : 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
    const configHex = createHash('sha256').update(config).digest('hex');
    const archive = join(tmp.dir, 'one.tar');
    writeFileSync(
      archive,
      await tarBuffer([
        { name: `${configHex}.json`, content: config },
        { name: 'l1/layer.tar', content: tar },
        { name: 'manifest.json', content: JSON.stringify([{ Config: `${configHex}.json`, RepoTags: null, Layers: ['l1/layer.tar'] }]) },
      ]),
    );
    const tag = 'whittle-test/copied:e2e';
    created.push(tag);
    const r = await whittle(['copy', '--json', `docker-archive:${archive}`, `docker-daemon:${tag}`]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { reference: string; imageId: string };
    expect(result.reference).toBe(`docker-daemon:${tag}`);
    expect(result.imageId).toBe(`sha256:${configHex}`);
    expect((await dockerInspect(tag)).Id).toBe(`sha256:${configHex}`);
  });

  it('copies the base image out of the daemon to an archive that inspects the same', async () => {
    const archive = join(tmp.dir, 'base.tar');
    const r = await whittle(['copy', `docker-daemon:${BASE}`, `docker-archive:${archive}`]);
    expect(r.code, r.stderr).toBe(0);
    const [fromArchive, fromDaemon] = await Promise.all([inspectJson(`docker-archive:${archive}`), inspectJson(`docker-daemon:${BASE}`)]);
    expect(fromArchive.id).toBe(fromDaemon.id);
    expect(fromArchive.size).toBe(fromDaemon.size);
    expect(fromArchive.fileCount).toBe(fromDaemon.fileCount);
  });
});
