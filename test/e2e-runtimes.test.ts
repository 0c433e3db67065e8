/**
 * Node, Python and Java apps, each a fat single-stage image with its toolchain left in: whittle
 * slims them with the profile it detects, the slimmed server answers every request of the
 * fixture's check exactly as the original does (on loopback), and the result is no larger than
 * the fixture's hand-written multi-stage Dockerfile.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpAnswers, readCheck, type HttpAnswer } from './helpers/check-fixture.js';
import { whittle } from './helpers/cli.js';
import { docker, ensureFixtures, removeImages, repoRoot } from './helpers/docker.js';

// At most this share of the original: a JDK's lib/modules alone is 129 MB.
const APPS = [
  { fixture: 'node-api', profile: 'node', share: 0.25 },
  { fixture: 'python-flask', profile: 'python', share: 0.25 },
  { fixture: 'java-http', profile: 'java', share: 0.3 },
] as const;
const created: string[] = [];
let tags: Record<string, string> = {};
const work = mkdtempSync(join(tmpdir(), 'whittle-e2e-runtimes-'));

// The same kind of app installed by pnpm (its .pnpm store behind symlinks) and by yarn classic (hoisted, no npm lockfile).
const LAYOUTS = ['node-pnpm', 'node-yarn'] as const;

beforeAll(async () => {
  tags = await ensureFixtures(...APPS.map((a) => a.fixture), ...LAYOUTS);
}, 40 * 60_000);

afterAll(async () => {
  await removeImages(...created);
  rmSync(work, { recursive: true, force: true });
});

async function imageSize(ref: string): Promise<number> {
  const r = await docker(['image', 'inspect', '-f', '{{.Size}}', ref]);
  return Number(r.stdout.trim());
}

interface AuditLine {
  path: string;
  kept: boolean;
  reason?: string;
  reasons?: Array<{ by: string; why: string }>;
}
const readAudit = (file: string): AuditLine[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine);

describe.each(APPS)('$fixture', ({ fixture, profile, share }) => {
  const slimTag = `whittle-test/${fixture}:slim`;
  const audit = join(work, `${fixture}.audit.jsonl`);
  let original: Record<string, HttpAnswer>;

  it('the original answers its check', async () => {
    original = await httpAnswers(fixture, tags[fixture]!);
    const check = readCheck(fixture);
    expect(original[check.http!.path]).toEqual({ status: check.http!.expectStatus, body: check.http!.expectBody });
  });

  it(`is slimmed with the ${profile} profile and answers every request as the original does`, async () => {
    created.push(slimTag);
    const res = await whittle(['slim', `docker-daemon:${tags[fixture]}`, '--tag', slimTag, '--audit', audit, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as { profile: string; output: { size: number }; source: { size: number } };
    expect(report.profile).toBe(profile);
    expect(report.output.size).toBeLessThan(report.source.size * share);
    expect(await httpAnswers(fixture, slimTag)).toEqual(original);
  });

  it('is no larger than the hand-written multi-stage image', async () => {
    const multistage = `whittle-test/${fixture}:multistage`;
    created.push(multistage);
    const built = await docker(['build', '--network', 'host', '-q', '-f', join(repoRoot, 'fixtures', fixture, 'Dockerfile.multistage'), '-t', multistage, join(repoRoot, 'fixtures', fixture)], { timeoutMs: 20 * 60_000 });
    expect(built.code, built.stderr).toBe(0);
    expect(await httpAnswers(fixture, multistage)).toEqual(original);
    expect(await imageSize(slimTag)).toBeLessThanOrEqual(await imageSize(multistage));
  }, 20 * 60_000);
});

describe.each(LAYOUTS)('%s', (fixture) => {
  it('answers every request as the original does, with no devDependency kept', async () => {
    const tag = `whittle-test/${fixture}:slim`;
    const auditFile = join(work, `${fixture}.audit.jsonl`);
    created.push(tag);
    const res = await whittle(['slim', `docker-daemon:${tags[fixture]}`, '--tag', tag, '--audit', auditFile, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as { profile: string }).profile).toBe('node');
    expect(await httpAnswers(fixture, tag)).toEqual(await httpAnswers(fixture, tags[fixture]!));
    const lines = readAudit(auditFile);
    const kept = lines.filter((l) => l.kept).map((l) => l.path);
    expect(kept).toContain('/srv/app/server.js');
    // eslint and typescript are devDependencies; /app is another app in the image (node-api's).
    expect(kept.filter((p) => /\/(typescript|eslint)(@[^/]*)?\//.test(p) || p.startsWith('/app/'))).toEqual([]);
    expect(lines.some((l) => !l.kept && /node_modules\/(\.pnpm\/)?typescript/.test(l.path) && /^node: /.test(l.reason ?? ''))).toBe(true);
  });
});

describe('node-api with node.trace', () => {
  it('keeps only what @vercel/nft reaches and still answers every request as the original does', async () => {
    const tag = 'whittle-test/node-api:traced';
    created.push(tag);
    const res = await whittle(['slim', `docker-daemon:${tags['node-api']}`, '--set', 'node.trace=true', '--tag', tag, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(await httpAnswers('node-api', tag)).toEqual(await httpAnswers('node-api', tags['node-api']!));
    expect(await imageSize(tag)).toBeLessThanOrEqual(await imageSize('whittle-test/node-api:slim'));
  });
});

describe('node-api audit', () => {
  it('keeps no file of a devDependency and says why each one is left out', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'node-api', 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devFolders = Object.entries(lock.packages).filter(([, p]) => p.dev).map(([path]) => `/app/${path}`);
    expect(devFolders.length).toBeGreaterThan(100);
    const lines = readAudit(join(work, 'node-api.audit.jsonl'));
    const underDev = lines.filter((l) => devFolders.some((d) => l.path === d || l.path.startsWith(`${d}/`)));
    expect(underDev.length).toBeGreaterThan(1000);
    expect(underDev.filter((l) => l.kept).map((l) => l.path)).toEqual([]);
    expect(underDev.every((l) => /devDependency/.test(l.reason ?? ''))).toBe(true);
    // The addon is kept, with the libraries it needs; its C sources are not.
    const kept = new Set(lines.filter((l) => l.kept).map((l) => l.path));
    expect(kept.has('/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(kept.has('/app/node_modules/better-sqlite3/deps/sqlite3/sqlite3.c')).toBe(false);
    expect([...kept].some((p) => /libstdc\+\+\.so\.6/.test(p))).toBe(true);
  });
});
