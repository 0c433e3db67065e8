/**
 * `whittle inspect` and `whittle copy` through the built CLI, on synthetic `docker save`
 * archives (the legacy layout Docker 20.10 writes): what is printed, where, and the exit codes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/errors.js';
import type { ImageReport } from '../src/inspect/inspect-image.js';
import { colorEnabled, formatBytes, formatTable } from '../src/report/format.js';
import { whittle } from './helpers/cli.js';
import type { RunResult } from './helpers/docker.js';
import { dir, file, symlink, tarBuffer, tempDir, whiteout, type MemberSpec } from './helpers/synthetic.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

interface ArchiveSpec {
  layers: MemberSpec[][];
  history?: Array<{ created_by: string; empty_layer?: boolean; comment?: string }>;
  config?: Record<string, unknown>;
  repoTag?: string;
  /** Damages a layer's bytes after its diff ID was computed: one flipped byte, or cut in half. */
  damage?: { layer: number; how: 'flip' | 'truncate' };
}

/** Writes a legacy `docker save` archive: manifest.json, <config sha>.json, <id>/layer.tar. */
async function writeDockerArchive(path: string, spec: ArchiveSpec): Promise<{ id: string; diffIds: string[] }> {
  const tars = await Promise.all(spec.layers.map((l) => tarBuffer(l)));
  const diffIds = tars.map((t) => `sha256:${sha256(t)}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: HOST_ARCH[process.arch] ?? process.arch,
      os: 'linux',
      config: spec.config ?? {},
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: spec.history ?? tars.map((_, i) => ({ created_by: `step ${i + 1}` })),
    }),
  );
  const configHex = sha256(config);
  const members: MemberSpec[] = [{ name: `${configHex}.json`, content: config }];
  const layerPaths: string[] = [];
  tars.forEach((tar, i) => {
    const layerDir = sha256(Buffer.from(`layer-${i}-${diffIds[i]}`));
    const bytes = spec.damage?.layer === i ? damaged(tar, spec.damage.how) : tar;
    members.push({ name: `${layerDir}/`, type: 'directory' }, { name: `${layerDir}/VERSION`, content: '1.0' }, { name: `${layerDir}/layer.tar`, content: bytes });
    layerPaths.push(`${layerDir}/layer.tar`);
  });
  members.push({ name: 'manifest.json', content: JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [spec.repoTag ?? 'example/app:1'], Layers: layerPaths }]) });
  writeFileSync(path, await tarBuffer(members));
  return { id: `sha256:${configHex}`, diffIds };
}

function damaged(tar: Buffer, how: 'flip' | 'truncate'): Buffer {
  if (how === 'truncate') return tar.subarray(0, Math.floor(tar.length / 2));
  const copy = Buffer.from(tar);
  copy[600] = copy[600]! ^ 1; // inside the first member's data
  return copy;
}

/** An error run: non-zero code, nothing on stdout, exactly one `whittle: ` line on stderr, no stack. */
function expectOneLineError(r: RunResult, code: number, pattern?: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^whittle: \S/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (pattern) expect(lines[0]).toMatch(pattern);
  expect(r.code, r.stderr).toBe(code);
}

const N = 54_321;
let tmp: ReturnType<typeof tempDir>;
let archive: string;
let imageId: string;

beforeAll(async () => {
  tmp = tempDir();
  archive = join(tmp.dir, 'app.tar');
  ({ id: imageId } = await writeDockerArchive(archive, {
    layers: [
      [dir('bin'), file('bin/app', 'A'.repeat(4000), 0o755), dir('usr'), dir('usr/lib'), file('usr/lib/libx.so.1', 'L'.repeat(20_000)), symlink('usr/lib/libx.so', 'libx.so.1')],
      [dir('tmp'), file('tmp/download.bin', 'D'.repeat(N)), dir('etc'), file('etc/app.conf', 'one')],
      [dir('tmp'), whiteout('tmp/download.bin'), dir('etc'), file('etc/app.conf', 'three')],
    ],
    history: [
      { created_by: 'ADD rootfs.tar /' },
      { created_by: 'ENV A=1', empty_layer: true },
      { created_by: '/bin/sh -c curl -o /tmp/download.bin http://example/x' },
      { created_by: '/bin/sh -c #(nop)  LABEL x=y', empty_layer: true },
      { created_by: '/bin/sh -c rm /tmp/download.bin && echo three > /etc/app.conf' },
    ],
    config: {
      Entrypoint: ['/bin/app'],
      Cmd: ['--serve'],
      Env: ['PATH=/bin', 'MODE=prod'],
      User: '1000:1000',
      WorkingDir: '/srv',
      ExposedPorts: { '8080/tcp': {} },
      Labels: { 'org.opencontainers.image.title': 'app' },
    },
  }));
});

afterAll(() => tmp?.cleanup());

describe('whittle inspect', () => {
  it('--json writes one JSON document and nothing else on stdout', async () => {
    const r = await whittle(['inspect', '--json', `docker-archive:${archive}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as ImageReport;
    expect(report.id).toBe(imageId);
    expect(report.reference).toBe(`docker-archive:${archive}`);
    expect(report.platform).toBe(`linux/${HOST_ARCH[process.arch] ?? process.arch}`);
    expect(report.repoTags).toEqual(['example/app:1']);
    expect(report.config).toEqual({
      Entrypoint: ['/bin/app'],
      Cmd: ['--serve'],
      Env: ['PATH=/bin', 'MODE=prod'],
      User: '1000:1000',
      WorkingDir: '/srv',
      ExposedPorts: ['8080/tcp'],
      Labels: { 'org.opencontainers.image.title': 'app' },
    });
    // History is matched to layers with the empty_layer steps skipped.
    expect(report.layers.map((l) => l.createdBy)).toEqual([
      'ADD rootfs.tar /',
      '/bin/sh -c curl -o /tmp/download.bin http://example/x',
      '/bin/sh -c rm /tmp/download.bin && echo three > /etc/app.conf',
    ]);
    // Docker's count: file bytes plus symlink target lengths ("libx.so.1" is 9 bytes).
    expect(report.layers.map((l) => l.size)).toEqual([4000 + 20_000 + 9, N + 3, 5]);
    expect(report.layers.map((l) => l.contentBytes)).toEqual([24_000, N + 3, 5]);
    expect(report.size).toBe(24_009 + N + 3 + 5);
    expect(report.contentBytes).toBe(24_000 + N + 3 + 5);
    // Merged: bin/app, usr/lib/libx.so.1, usr/lib/libx.so, etc/app.conf.
    expect(report.fileCount).toBe(4);
    expect(report.directoryCount).toBe(5);
    expect(report.mergedBytes).toBe(24_000 + 5);
    // The download is added and deleted: exactly its N bytes are wasted; app.conf is written twice.
    expect(report.inefficiencies).toEqual([
      { path: '/tmp/download.bin', cumulativeSize: N, count: 2, layers: [1, 2] },
      { path: '/etc/app.conf', cumulativeSize: 8, count: 2, layers: [1, 2] },
    ]);
    expect(report.wastedBytes).toBe(N + 8);
    expect(report.userWastedPercent).toBeCloseTo((N + 8) / (N + 3 + 5), 12);
    expect(report.efficiency).toBeCloseTo((4000 + 20_000 + 0 + 3) / (4000 + 20_000 + N + 8), 12);
    expect(report.largestDirectories[0]).toEqual({ path: '/usr', bytes: 20_000, files: 2 });
    expect(report.largestDirectories.map((d) => d.path)).toEqual(['/usr', '/usr/lib', '/bin', '/etc', '/tmp']);
  });

  it('prints the config, sizes, layers, wasted bytes and largest directories as text', async () => {
    const r = await whittle(['inspect', `docker-archive:${archive}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain(`ID          ${imageId}`);
    expect(out).toMatch(/^Entrypoint +\["\/bin\/app"\]$/m);
    expect(out).toMatch(/^Env +PATH=\/bin\n +MODE=prod$/m);
    expect(out).toMatch(/^User +1000:1000$/m);
    expect(out).toMatch(/^Ports +8080\/tcp$/m);
    expect(out).toMatch(/^Labels +org\.opencontainers\.image\.title=app$/m);
    expect(out).toContain(`(${24_009 + N + 8} bytes, as docker image inspect counts) in 3 layers`);
    expect(out).toMatch(new RegExp(`^Wasted +${formatBytes(N + 8).replace('.', '\\.')}: efficiency`, 'm'));
    expect(out).toMatch(/^3 +5 B +[0-9a-f]{12} +RUN rm \/tmp\/download\.bin && echo three > \/etc\/app\.conf$/m);
    expect(out).toMatch(/^\/usr +20\.0 kB +2$/m);
    expect(out).toMatch(/^54\.3 kB +2,3 +\/tmp\/download\.bin$/m);
    expect(out).not.toContain('\u001b[');
  });

  it('colors only when asked: FORCE_COLOR without NO_COLOR', async () => {
    const colored = await whittle(['inspect', `docker-archive:${archive}`], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(colored.code, colored.stderr).toBe(0);
    expect(colored.stdout).toContain('\u001b[1m');
    const plain = await whittle(['inspect', `docker-archive:${archive}`], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
  });

  it('refuses an unknown transport with a usage error', async () => {
    expectOneLineError(await whittle(['inspect', `nosuch:${archive}`]), EXIT_CODES.usage, /unknown transport "nosuch"/);
  });

  it('reports a missing archive as not found', async () => {
    expectOneLineError(await whittle(['inspect', `docker-archive:${join(tmp.dir, 'missing.tar')}`]), EXIT_CODES['not-found'], /missing\.tar/);
  });

  it('reports a truncated archive as bad input', async () => {
    const whole = readFileSync(archive);
    const cut = join(tmp.dir, 'truncated.tar');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 100));
    expectOneLineError(await whittle(['inspect', `docker-archive:${cut}`]), EXIT_CODES['bad-input'], /truncated/);
  });

  it('refuses a layer with a ".." member', async () => {
    const evil = join(tmp.dir, 'evil.tar');
    await writeDockerArchive(evil, { layers: [[dir('etc'), file('etc/ok', 'x')], [file('../../escape', 'boom')]] });
    expectOneLineError(await whittle(['inspect', '--json', `docker-archive:${evil}`]), EXIT_CODES['bad-input'], /\.\./);
  });

  it('refuses a layer whose bytes do not match its diff ID', async () => {
    const bad = join(tmp.dir, 'corrupt.tar');
    await writeDockerArchive(bad, { layers: [[file('a', 'x'.repeat(3000))]], damage: { layer: 0, how: 'flip' } });
    expectOneLineError(await whittle(['inspect', `docker-archive:${bad}`]), EXIT_CODES['bad-input'], /digest mismatch/);
  });

  it('refuses a bad --platform with a usage error', async () => {
    expectOneLineError(await whittle(['--platform', 'linux', 'inspect', `docker-archive:${archive}`]), EXIT_CODES.usage, /platform/);
  });

  it('prints the stack only with WHITTLE_DEBUG=1', async () => {
    const r = await whittle(['inspect', `docker-archive:${join(tmp.dir, 'missing.tar')}`], { env: { WHITTLE_DEBUG: '1' } });
    expect(r.code).toBe(EXIT_CODES['not-found']);
    expect(r.stderr.split('\n')[0]).toMatch(/^whittle: /);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('whittle usage', () => {
  it('unknown commands and flags exit 2 with one line', async () => {
    expectOneLineError(await whittle(['inspec', 'x']), EXIT_CODES.usage, /unknown command 'inspec'.*inspect/);
    expectOneLineError(await whittle(['inspect', '--bogus', 'x']), EXIT_CODES.usage, /unknown option '--bogus'/);
    expectOneLineError(await whittle(['inspect']), EXIT_CODES.usage, /missing required argument 'ref'/);
  });

  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const r = await whittle(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('whittle copy', () => {
  it('copies a docker archive to an OCI layout and back with the same image ID', async () => {
    const layout = join(tmp.dir, 'layout');
    const r = await whittle(['copy', '--json', `docker-archive:${archive}`, `oci:${layout}:v1`]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { source: string; reference: string; imageId: string; manifestDigest?: string };
    expect(result).toMatchObject({ source: `docker-archive:${archive}`, reference: `oci:${layout}:v1`, imageId });
    expect(result.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const back = join(tmp.dir, 'back.tar');
    const text = await whittle(['copy', `oci:${layout}:v1`, `docker-archive:${back}:example/back:2`]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^ID +${imageId}$`, 'm'));
    const inspected = JSON.parse((await whittle(['inspect', '--json', `docker-archive:${back}`])).stdout) as ImageReport;
    expect(inspected.id).toBe(imageId);
    expect(inspected.repoTags).toEqual(['example/back:2']);
    expect(inspected.wastedBytes).toBe(N + 8);
  });

  it('writes nothing at the destination when the source archive is truncated', async () => {
    const whole = readFileSync(archive);
    const cut = join(tmp.dir, 'cut-for-copy.tar');
    writeFileSync(cut, whole.subarray(0, whole.length - 3000));
    const before = readdirSync(tmp.dir).sort();
    const dst = join(tmp.dir, 'never.tar');
    expectOneLineError(await whittle(['copy', `docker-archive:${cut}`, `docker-archive:${dst}`]), EXIT_CODES['bad-input']);
    expect(existsSync(dst)).toBe(false);
    expect(readdirSync(tmp.dir).sort()).toEqual(before);
  });

  it('writes nothing at the destination when a layer turns out truncated halfway through the copy', async () => {
    const src = join(tmp.dir, 'half-layer.tar');
    await writeDockerArchive(src, {
      layers: [[file('ok', 'o'.repeat(2000))], [dir('big'), file('big/blob', 'b'.repeat(200_000))]],
      damage: { layer: 1, how: 'truncate' },
    });
    const before = readdirSync(tmp.dir).sort();
    for (const dst of [`docker-archive:${join(tmp.dir, 'never2.tar')}`, `oci:${join(tmp.dir, 'never-layout')}`, `oci-archive:${join(tmp.dir, 'never3.tar')}`]) {
      const r = await whittle(['copy', `docker-archive:${src}`, dst]);
      expectOneLineError(r, EXIT_CODES['bad-input']);
      expect(readdirSync(tmp.dir).sort(), dst).toEqual(before);
    }
  });
});

describe('report formatting', () => {
  it('sizes read like docker prints them', () => {
    expect([0, 999, 1000, 54_321, 82_002_164, 1.5e9].map(formatBytes)).toEqual(['0 B', '999 B', '1.00 kB', '54.3 kB', '82.0 MB', '1.50 GB']);
  });

  it('tables right-align number columns and stay aligned with color on', () => {
    const plain = formatTable(['path', 'size'], [['/usr', '1.00 kB'], ['/a', '10 B']], { color: false });
    expect(plain.split('\n')).toEqual(['path     size', '----  -------', '/usr  1.00 kB', '/a       10 B']);
    const colored = formatTable(['path', 'size'], [['/usr', '1.00 kB']], { color: true });
    expect(colored.split('\n')[0]).toBe('\u001b[1mpath     size\u001b[22m');
  });

  it('honours NO_COLOR, FORCE_COLOR and the terminal', () => {
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});
