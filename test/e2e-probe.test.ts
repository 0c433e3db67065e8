/**
 * Proving a slim still works, with the real daemon: probes on slim, whittle verify, whittle diff
 * against docker's own numbers, and the CI thresholds' exit codes.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RootFs } from '../src/rootfs/rootfs.js';
import { openImage } from '../src/transports/index.js';
import { whittle } from './helpers/cli.js';
import { docker, dockerOk, ensureFixtures, removeImages, run } from './helpers/docker.js';

let tags: Record<string, string> = {};
const created: string[] = [];

beforeAll(async () => {
  tags = await ensureFixtures('nonroot', 'cpp-runpath');
}, 30 * 60_000);

afterAll(async () => {
  await removeImages(...created);
});

/**
 * `docker export` of a new container, without the paths docker creates in every container (they
 * may or may not be in the image too, so both sides leave them out).
 */
async function exportedNonDirectories(image: string): Promise<Array<{ path: string; type: string; size: number }>> {
  const id = (await dockerOk(['create', '--network', 'none', image, 'true'])).trim();
  try {
    const r = await run('bash', ['-c', `docker export ${id} | tar -tv --numeric-owner`], { timeoutMs: 300_000 });

    return r.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const f = l.split(/\s+/);
        return { type: l[0]!, size: Number(f[2]), path: f.slice(5).join(' ').replace(/ -> .*$/, '').replace(/ link to .*$/, ''), mode: f[0]! };
      })
      .filter((e) => e.type !== 'd' && !DOCKER_MADE.has(e.path));
  } finally {
    await docker(['rm', '-f', id]);
  }
}

const DOCKER_MADE = new Set(['.dockerenv', 'dev/console', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab']);

/** How many of the docker-made paths the image itself holds, and their bytes. */
async function dockerMadePathsInImage(ref: string): Promise<{ files: number; bytes: number }> {
  const image = await openImage(`docker-daemon:${ref}`);
  const fs = await RootFs.fromImage(image);
  try {
    const found = [...DOCKER_MADE].map((p) => fs.lstat(p)).filter((e) => e && e.type !== 'dir');
    return { files: found.length, bytes: found.reduce((n, e) => n + (e!.type === 'file' ? e!.size : 0), 0) };
  } finally {
    await fs.close();
    await image.close();
  }
}

async function imageExists(ref: string): Promise<boolean> {
  return (await docker(['image', 'inspect', ref])).code === 0;
}

async function leftoverProbeContainers(): Promise<string> {
  return (await docker(['ps', '-aq', '--filter', 'label=io.whittle.probe'])).stdout.trim();
}

describe('probes', () => {
  it('an HTTP probe and a command probe pass on a good slim', async () => {
    const tag = 'whittle-test/nonroot:probed';
    created.push(tag);
    const r = await whittle(['slim', tags.nonroot!, '-t', tag, '--probe', 'http://127.0.0.1:18087/', '--probe-cmd', '', '--probe-timeout', '5', '--json']);
    const report = JSON.parse(r.stdout) as { probes: Array<{ probe: string; passed: boolean; original: { code: number; output: string }; slimmed: { code: number; output: string } }> };
    const http = report.probes.find((p) => p.probe.startsWith('GET'))!;
    expect(http.passed).toBe(true);
    expect(http.slimmed.code).toBe(200);
    expect(http.slimmed.output).toBe('hello from app (uid 1000, home ok true)\n');
    // The server never exits, so a command probe of its CMD cannot finish: reported, not hidden.
    expect(report.probes.find((p) => p.probe.startsWith('run'))!.passed).toBe(false);
    expect(r.code).toBe(0);
    expect(await leftoverProbeContainers()).toBe('');
  });

  it('a command probe passes, and verify agrees', async () => {
    const tag = 'whittle-test/cpp:probed';
    created.push(tag);
    const r = await whittle(['slim', tags['cpp-runpath']!, '-t', tag, '--probe-cmd', '', '--probe-required']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pass {2}run \(the image's CMD\)/);
    const v = await whittle(['verify', tags['cpp-runpath']!, tag, '--probe-cmd', '']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^pass/);
  });

  it('a broken slim fails the probe, exits 7, shows the difference and leaves no tag', async () => {
    const tag = 'whittle-test/cpp:broken';
    const r = await whittle(['slim', tags['cpp-runpath']!, '-t', tag, '--drop', '/opt/app/lib/libgreet.so', '--probe-cmd', '', '--probe-required']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/FAIL {2}run/);
    expect(r.stderr).toMatch(/^whittle: 1 of 1 probes failed: .*libgreet\.so: cannot open shared object file/m);
    expect(await imageExists(tag)).toBe(false);
    expect(await leftoverProbeContainers()).toBe('');
  });

  it('verify fails with exit 7 when the images answer differently', async () => {
    const v = await whittle(['verify', tags['cpp-runpath']!, tags.nonroot!, '--probe-cmd', '', '--probe-timeout', '3']);
    expect(v.code).toBe(7);
    expect(v.stdout).toMatch(/FAIL/);
  });
});

describe('diff', () => {
  it('reports sizes that match docker and file lists that match docker export', async () => {
    const tag = 'whittle-test/cpp:diffed';
    created.push(tag);
    expect((await whittle(['slim', tags['cpp-runpath']!, '-t', tag])).code).toBe(0);
    const r = await whittle(['diff', tags['cpp-runpath']!, tag, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { a: { files: number; fileBytes: number; dockerSize: number }; b: { files: number; fileBytes: number; dockerSize: number }; added: Array<{ path: string }>; removed: Array<{ path: string }> };
    for (const [side, ref] of [[d.a, tags['cpp-runpath']!], [d.b, tag]] as const) {
      expect(side.dockerSize).toBe(Number((await docker(['image', 'inspect', '-f', '{{.Size}}', ref])).stdout.trim()));
    }
    const listA = await exportedNonDirectories(tags['cpp-runpath']!);
    const listB = await exportedNonDirectories(tag);
    for (const [side, list, ref] of [[d.a, listA, tags['cpp-runpath']!], [d.b, listB, tag]] as const) {
      const own = await dockerMadePathsInImage(ref);
      expect(side.files).toBe(list.length + own.files);
      expect(side.fileBytes).toBe(list.filter((e) => e.type === '-').reduce((n, e) => n + e.size, 0) + own.bytes);
    }
    const inA = new Set(listA.map((e) => `/${e.path}`));
    const inB = new Set(listB.map((e) => `/${e.path}`));
    const notDockerMade = (f: { path: string }): boolean => !DOCKER_MADE.has(f.path.slice(1));
    expect(new Set(d.removed.filter(notDockerMade).map((f) => f.path))).toEqual(new Set([...inA].filter((p) => !inB.has(p))));
    expect(new Set(d.added.filter(notDockerMade).map((f) => f.path))).toEqual(new Set([...inB].filter((p) => !inA.has(p))));
  });
});

describe('thresholds', () => {
  it('a missed --max-size exits 6, --json is the only thing on stdout', async () => {
    const tag = 'whittle-test/cpp:threshold';
    created.push(tag);
    const r = await whittle(['slim', tags['cpp-runpath']!, '-t', tag, '--max-size', '1MB', '--json']);
    expect(r.code).toBe(6);
    const report = JSON.parse(r.stdout) as { thresholds: { missed: string[] } };
    expect(report.thresholds.missed[0]).toMatch(/over --max-size 1.00 MB/);
    expect(r.stderr).toMatch(/^whittle: slimmed size .* is over --max-size/m);
  });

  it('a met --min-reduction exits 0', async () => {
    const tag = 'whittle-test/cpp:threshold-ok';
    created.push(tag);
    const summary = join(tmpdir(), `whittle-summary-${process.pid}.md`);
    writeFileSync(summary, '# earlier step\n');
    const r = await whittle(['slim', tags['cpp-runpath']!, '-t', tag, '--min-reduction', '90'], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.code, r.stderr).toBe(0);
    // Appended, not replaced: other steps write there too.
    const md = readFileSync(summary, 'utf8');
    rmSync(summary);
    expect(md).toMatch(/^# earlier step\n### whittle slim\n/);
    expect(md).toMatch(/\| slimmed \| `docker-daemon:whittle-test\/cpp:threshold-ok:?[^`]*` \| [\d.]+ MB \|/);
    expect(md).toMatch(/\*\*9\d\.\d% smaller\*\*/);
  });
});
