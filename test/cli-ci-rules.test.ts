/** `whittle inspect --ci`: dive's rules from .whittle-ci.yaml or flags, and exit code 6 on a miss. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whittle } from './helpers/cli.js';
import { legacySaveTar, makeLayer } from './helpers/image-archives.js';
import { file, tempDir, whiteout } from './helpers/synthetic.js';

const tmp = tempDir();
let archive = '';
afterAll(() => tmp.cleanup());

beforeAll(async () => {
  // 1 MB added in layer 2 and deleted in layer 3: exactly 1 MB wasted.
  const layers = [await makeLayer([file('bin/app', 'x'.repeat(1000))]), await makeLayer([file('big', Buffer.alloc(1_000_000, 1))]), await makeLayer([whiteout('big')])];
  archive = join(tmp.dir, 'img.tar');
  writeFileSync(archive, await legacySaveTar([{ layers, repoTags: ['ci/rules:1'] }]));
});

describe('inspect --ci', () => {
  it('passes rules that hold', async () => {
    const r = await whittle(['inspect', `docker-archive:${archive}`, '--ci', '--ci-config', join(tmp.dir, 'none.yaml'), '--highest-wasted-bytes', '2MB']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pass {2}highestWastedBytes: wasted 1.00 MB/);
  });

  it('fails with exit 6 on a rule read from the config file', async () => {
    const config = join(tmp.dir, '.whittle-ci.yaml');
    writeFileSync(config, 'rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 500kB\n  highestUserWastedPercent: disabled\n');
    const r = await whittle(['inspect', `docker-archive:${archive}`, '--ci', '--ci-config', config, '--json']);
    expect(r.code).toBe(6);
    const report = JSON.parse(r.stdout) as { wastedBytes: number; ci: Array<{ rule: string; passed: boolean }> };
    expect(report.wastedBytes).toBe(1_000_000);
    expect(report.ci.map((c) => [c.rule, c.passed])).toEqual([
      ['lowestEfficiency', false],
      ['highestWastedBytes', false],
    ]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^whittle: lowestEfficiency: efficiency/);
  });

  it('names the file and field of a bad rule', async () => {
    const config = join(tmp.dir, 'bad.yaml');
    writeFileSync(config, 'rules:\n  lowestEfficency: 0.9\n');
    const r = await whittle(['inspect', `docker-archive:${archive}`, '--ci', '--ci-config', config]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.yaml: rules\.lowestEfficency is not a rule/);
  });
});
