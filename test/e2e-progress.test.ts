/**
 * Progress output: bars drawn in place on a terminal (run under a pseudo-terminal with
 * util-linux `script`), plain lines without control sequences when not a terminal, nothing
 * with --quiet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, whittle } from './helpers/cli.js';
import { ensureFixture, removeImages, run } from './helpers/docker.js';

let source = '';
const created = ['whittle-test/musl:progress-tty', 'whittle-test/musl:progress-plain', 'whittle-test/musl:progress-quiet'];
const ESC = '\u001b';

beforeAll(async () => {
  source = await ensureFixture('musl');
}, 30 * 60_000);
afterAll(async () => removeImages(...created));

describe('progress', () => {
  it('draws bars with bytes on a terminal', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.CI;
    const cmd = `${process.execPath} ${cliPath} slim ${source} -t ${created[0]} > /dev/null`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], { env, timeoutMs: 300_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // cli-progress redraws the line in place and hides the cursor.
    expect(r.stdout).toContain(`${ESC}[?25l`);
    for (const phase of ['reading', 'analysing', 'writing', 'loading']) {
      expect(r.stdout).toMatch(new RegExp(`${phase} +\\[#+\\] [\\d.]+ [kMG]?B / [\\d.]+ [kMG]?B`));
    }
  });

  it('prints plain lines and no control sequences when not a terminal', async () => {
    const r = await whittle(['slim', source, '-t', created[1]!], { env: { CI: 'true' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(ESC);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stderr).toMatch(/^reading: [\d.]+ [kMG]?B in [\d.]+ s$/m);
    expect(r.stderr).toMatch(/^loading: [\d.]+ [kMG]?B in [\d.]+ s$/m);
  });

  it('prints nothing on stderr with --quiet', async () => {
    const r = await whittle(['--quiet', 'slim', source, '-t', created[2]!]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});
