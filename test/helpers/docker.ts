/**
 * The real Docker daemon, for end-to-end tests: run the docker CLI, build fixtures, clean up.
 * Containers only ever run with --network none or --network host.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const repoRoot = join(import.meta.dirname, '..', '..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to the end and returns its output; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(opts.input);
  });
}

export function docker(args: readonly string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('docker', args, opts);
}

/** Like docker(), but throws with stderr when the command fails. */
export async function dockerOk(args: readonly string[]): Promise<string> {
  const r = await docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Builds (or reuses, by content hash) fixture images and returns NAME -> tag. */
export async function ensureFixtures(...names: string[]): Promise<Record<string, string>> {
  const { stdout } = await execFileAsync('bash', [join(repoRoot, 'fixtures', 'build.sh'), ...names], { maxBuffer: 16 << 20 });
  const tags: Record<string, string> = {};
  for (const line of stdout.trim().split('\n')) {
    const [name, tag] = line.split(' ');
    if (name && tag) tags[name] = tag;
  }
  return tags;
}

export async function ensureFixture(name: string): Promise<string> {
  const tags = await ensureFixtures(name);
  const tag = tags[name];
  if (!tag) throw new Error(`fixture ${name} did not build`);
  return tag;
}

/** Runs an image once with no network and returns its output. */
export function runImage(image: string, args: readonly string[] = [], extra: readonly string[] = []): Promise<RunResult> {
  return docker(['run', '--rm', '--network', 'none', ...extra, image, ...args], { timeoutMs: 120_000 });
}

export async function removeImages(...refs: string[]): Promise<void> {
  if (refs.length > 0) await docker(['rmi', '-f', ...refs]);
}

/** File listing of an image's filesystem from `docker export`: "path mode uid:gid size link". */
export async function exportListing(image: string): Promise<string[]> {
  const id = (await dockerOk(['create', '--network', 'none', image, 'true'])).trim();
  try {
    const r = await run('bash', ['-c', `docker export ${id} | tar -tv --numeric-owner --full-time`], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout
      .trim()
      .split('\n')
      // Docker adds these to every container; they are not the image's.
      .filter((l) => !/ (\.dockerenv|etc\/hostname|etc\/hosts|etc\/resolv\.conf|dev\/.*|proc\/?|sys\/?)( |$)/.test(l))
      .sort();
  } finally {
    await docker(['rm', '-f', id]);
  }
}
