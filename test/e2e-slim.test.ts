/**
 * The main job against the real daemon: each fat fixture image is slimmed onto scratch and onto
 * distroless, the slimmed image is run, and it must behave as the original.
 */
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
    expect(res.stderr).toMatch(/^whittle: .*never replaces the source/);
  });
});
