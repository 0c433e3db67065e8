/** Ctrl-C during a slim: exit 130, and the spooled image and other temp files are gone. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from './helpers/cli.js';
import { docker, ensureFixture } from './helpers/docker.js';

let source = '';
const scratch = mkdtempSync(join(tmpdir(), 'whittle-interrupt-'));
beforeAll(async () => {
  source = await ensureFixture('cgo-go');
}, 30 * 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('interrupted slim', () => {
  it('removes its temporary files and exits 130', async () => {
    const child = spawn(process.execPath, [cliPath, '--quiet', 'slim', source, '-t', 'whittle-test/cgo-go:interrupted'], { env: { ...process.env, WHITTLE_TMPDIR: scratch }, stdio: 'ignore' });
    // Wait until it is spooling the image into its workspace, then interrupt it.
    const deadline = Date.now() + 60_000;
    while (readdirSync(scratch).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(scratch).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(readdirSync(scratch)).toEqual([]);
    expect((await docker(['image', 'inspect', 'whittle-test/cgo-go:interrupted'])).code).not.toBe(0);
  });
});
