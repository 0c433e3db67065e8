/**
 * The main job against the real daemon: each fat fixture image is slimmed onto scratch and onto
 * distroless, the slimmed image is run, and it must behave as the original.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from './helpers/check-fixture.js';
import { whittle } from './helpers/cli.js';
import { docker, ensureFixtures, removeImages } from './helpers/docker.js';

const FIXTURES = ['static-go', 'cgo-go', 'cpp-runpath', 'pthread-cancel', 'musl', 'entrypoint-script', 'nonroot'] as const;
const created: string[] = [];
let tags: Record<string, string> = {};

beforeAll(async () => {
  tags = await ensureFixtures(...FIXTURES);
}, 30 * 60_000);

afterAll(async () => {
  await removeImages(...created);
});

async function imageSize(ref: string): Promise<number> {
  const r = await docker(['image', 'inspect', '-f', '{{.Size}}', ref]);
  return Number(r.stdout.trim());
}

describe.each(FIXTURES)('slim %s', (fixture) => {
  it('the original passes its own check', async () => {
    const r = await checkImage(fixture, tags[fixture]!);
    expect(r.ok, r.detail).toBe(true);
  });

  for (const base of ['scratch', 'distroless'] as const) {
    it(`slimmed onto ${base} behaves as the original and is much smaller`, async () => {
      const tag = `whittle-test/${fixture}:slim-${base}`;
      created.push(tag);
      const res = await whittle(['slim', `docker-daemon:${tags[fixture]}`, '--base', base, '--tag', tag, '--json']);
      expect(res.code, res.stderr).toBe(0);
      const report = JSON.parse(res.stdout) as { output: { size: number }; source: { size: number } };
      expect(report.output.size).toBeLessThan(report.source.size / 4);
      const check = await checkImage(fixture, tag);
      expect(check.ok, check.detail).toBe(true);
      expect(await imageSize(tag)).toBeLessThan((await imageSize(tags[fixture]!)) / 4);
    });
  }
});

describe('static Go binary on scratch', () => {
  it('is at most the binary plus 1 MB', async () => {
    const tag = 'whittle-test/static-go:slim-scratch-size';
    created.push(tag);
    const res = await whittle(['slim', tags['static-go']!, '--base', 'scratch', '--tag', tag, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const binary = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'stat', tags['static-go']!, '-c', '%s', '/usr/local/bin/certcount']);
    const binarySize = Number(binary.stdout.trim());
    expect(binarySize).toBeGreaterThan(1_000_000);
    expect(await imageSize(tag)).toBeLessThanOrEqual(binarySize + 1_000_000);
  });
});

describe('the source image is never changed', () => {
  it('keeps its ID and tags after a slim', async () => {
    const before = await docker(['image', 'inspect', '-f', '{{.Id}} {{.RepoTags}}', tags['cgo-go']!]);
    const tag = 'whittle-test/cgo-go:unchanged';
    created.push(tag);
    const res = await whittle(['slim', tags['cgo-go']!, '--tag', tag]);
    expect(res.code, res.stderr).toBe(0);
    const after = await docker(['image', 'inspect', '-f', '{{.Id}} {{.RepoTags}}', tags['cgo-go']!]);
    expect(after.stdout).toBe(before.stdout);
  });

  it('refuses to write over the source tag', async () => {
    const res = await whittle(['slim', tags['musl']!, '--tag', tags['musl']!]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/^whittle: .*never replaces the source/m);
  });
});

describe('what a slim writes', () => {
  it('carries the config over: Entrypoint, Cmd, Env, User, WorkingDir, ExposedPorts, Labels', async () => {
    const tag = 'whittle-test/nonroot:config';
    created.push(tag);
    const res = await whittle(['slim', tags.nonroot!, '--tag', tag]);
    expect(res.code, res.stderr).toBe(0);
    const config = async (ref: string): Promise<Record<string, unknown>> => JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config}}', ref])).stdout) as Record<string, unknown>;
    const [a, b] = [await config(tags.nonroot!), await config(tag)];
    for (const field of ['Entrypoint', 'Cmd', 'User', 'WorkingDir', 'ExposedPorts']) expect(b[field], field).toEqual(a[field]);
    expect(b.Env).toEqual(expect.arrayContaining(a.Env as string[]));
    expect((b.Labels as Record<string, string>)['io.whittle.base']).toBe('distroless');
    expect((b.Labels as Record<string, string>)['io.whittle.source.digest']).toBe((await docker(['image', 'inspect', '-f', '{{.Id}}', tags.nonroot!])).stdout.trim());
  });

  it('is deterministic: the same input gives the same image ID, and SOURCE_DATE_EPOCH sets the times', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const tag = `whittle-test/musl:same-${n}`;
      created.push(tag);
      const res = await whittle(['slim', tags.musl!, '--tag', tag], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
      expect(res.code, res.stderr).toBe(0);
      ids.push((await docker(['image', 'inspect', '-f', '{{.Id}} {{.Created}}', tag])).stdout.trim());
    }
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toMatch(/ 2023-11-14T22:13:20Z$/);
  });

  it('reuses the layers of a base image byte for byte', async () => {
    const tag = 'whittle-test/musl:on-base';
    created.push(tag);
    const res = await whittle(['slim', tags.musl!, '--base', 'whittle-fixture/base:latest', '--tag', tag]);
    expect(res.code, res.stderr).toBe(0);
    const layers = async (ref: string): Promise<string[]> => JSON.parse((await docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref])).stdout) as string[];
    const [base, slimmed] = [await layers('whittle-fixture/base:latest'), await layers(tag)];
    expect(slimmed.slice(0, base.length)).toEqual(base);
    expect(slimmed.length).toBeGreaterThan(base.length);
    const check = await checkImage('musl', tag);
    expect(check.ok, check.detail).toBe(true);
  });

  it('writes an audit line for every path of the original, with the reason it was kept or dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whittle-audit-'));
    try {
      const audit = join(dir, 'audit.jsonl');
      const res = await whittle(['slim', tags['cpp-runpath']!, '--dry-run', '--audit', audit, '--drop', '/usr/share/zoneinfo/**']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/dry run: nothing written/);
      const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; kept: boolean; reasons?: Array<{ by: string; why: string }>; reason?: string });
      const byPath = new Map(lines.map((l) => [l.path, l]));
      expect(byPath.get('/opt/app/bin/prog')?.kept).toBe(true);
      expect(byPath.get('/opt/app/bin/prog')?.reasons?.[0]).toEqual({ by: 'entrypoint', why: 'entrypoint "/opt/app/bin/prog"' });
      expect(byPath.get('/opt/app/lib/libgreet.so')?.reasons?.[0]?.why).toBe('libgreet.so, needed by /opt/app/bin/prog');
      expect(byPath.get('/usr/share/zoneinfo/UTC')).toMatchObject({ kept: false, reason: 'dropped by --drop: /usr/share/zoneinfo/**' });
      expect(byPath.get('/usr/bin/g++')?.kept).toBe(false);
      expect(lines.filter((l) => !l.kept).every((l) => typeof l.reason === 'string')).toBe(true);
      const files = await whittle(['inspect', tags['cpp-runpath']!, '--json']);
      const report = JSON.parse(files.stdout) as { fileCount: number; directoryCount: number };
      // Every path of the original has its line (plus the few whittle makes, such as /home/nonroot).
      expect(lines.length).toBeGreaterThanOrEqual(report.fileCount + report.directoryCount);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
