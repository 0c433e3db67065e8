/**
 * Runs a fixture's check (fixtures/NAME/check.json) against an image: the original, to prove the
 * check is right, and a slimmed copy, to prove the slim still works. Command checks run with
 * --network none; HTTP checks run the server with --network host on a loopback port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, repoRoot } from './docker.js';

export interface FixtureCheck {
  run?: string[];
  expectStdout?: string;
  expectStdoutMatch?: string;
  expectExit?: number;
  http?: { port: number; path: string; expectStatus: number; expectBody?: string; expectBodyMatch?: string };
  /** Paths whose status and body must be the same from the original and the slimmed image. */
  compare?: string[];
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** Starts the image's server and asks it every `compare` path of the fixture's check, in order. */
export async function httpAnswers(fixture: string, image: string): Promise<Record<string, HttpAnswer>> {
  const check = readCheck(fixture);
  if (!check.http || !check.compare) throw new Error(`fixtures/${fixture}/check.json has no http check with compare paths`);
  const port = check.http.port;
  const started = await docker(['run', '-d', '--rm', '--network', 'host', image]);
  if (started.code !== 0) throw new Error(`could not start ${image}: ${started.stderr.trim()}`);
  const id = started.stdout.trim();
  try {
    await waitForServer(id, port, check.http.path);
    const answers: Record<string, HttpAnswer> = {};
    for (const path of check.compare) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
      answers[path] = { status: res.status, body: await res.text() };
    }
    return answers;
  } finally {
    await docker(['rm', '-f', id]);
  }
}

async function waitForServer(id: string, port: number, path: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
      return;
    } catch (err) {
      last = (err as Error).message;
      const alive = await docker(['inspect', '-f', '{{.State.Running}}', id]);
      if (alive.stdout.trim() !== 'true') {
        const logs = await docker(['logs', id]);
        throw new Error(`server exited: ${logs.stdout}${logs.stderr}`.trim());
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`no answer on port ${port} within 60 s (${last})`);
}

export function readCheck(fixture: string): FixtureCheck {
  return JSON.parse(readFileSync(join(repoRoot, 'fixtures', fixture, 'check.json'), 'utf8')) as FixtureCheck;
}

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export async function checkImage(fixture: string, image: string): Promise<CheckResult> {
  const check = readCheck(fixture);
  if (check.http) return checkHttp(check.http, image);
  const r = await docker(['run', '--rm', '--network', 'none', image, ...(check.run ?? [])], { timeoutMs: 120_000 });
  const problems: string[] = [];
  if (r.code !== (check.expectExit ?? 0)) problems.push(`exit ${r.code}, wanted ${check.expectExit ?? 0}`);
  if (check.expectStdout !== undefined && r.stdout !== check.expectStdout) problems.push(`stdout ${JSON.stringify(r.stdout)}, wanted ${JSON.stringify(check.expectStdout)}`);
  if (check.expectStdoutMatch !== undefined && !new RegExp(check.expectStdoutMatch).test(r.stdout)) problems.push(`stdout ${JSON.stringify(r.stdout)} does not match /${check.expectStdoutMatch}/`);
  return { ok: problems.length === 0, detail: problems.length ? `${problems.join('; ')}; stderr: ${r.stderr.trim()}` : r.stdout };
}

async function checkHttp(http: NonNullable<FixtureCheck['http']>, image: string): Promise<CheckResult> {
  const started = await docker(['run', '-d', '--rm', '--network', 'host', image]);
  if (started.code !== 0) return { ok: false, detail: `could not start: ${started.stderr.trim()}` };
  const id = started.stdout.trim();
  try {
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${http.port}${http.path}`, { signal: AbortSignal.timeout(2000) });
        const body = await res.text();
        const problems: string[] = [];
        if (res.status !== http.expectStatus) problems.push(`status ${res.status}, wanted ${http.expectStatus}`);
        if (http.expectBody !== undefined && body !== http.expectBody) problems.push(`body ${JSON.stringify(body)}, wanted ${JSON.stringify(http.expectBody)}`);
        if (http.expectBodyMatch !== undefined && !new RegExp(http.expectBodyMatch).test(body)) problems.push(`body ${JSON.stringify(body)} does not match`);
        return { ok: problems.length === 0, detail: problems.join('; ') || body };
      } catch (err) {
        last = (err as Error).message;
        const alive = await docker(['inspect', '-f', '{{.State.Running}}', id]);
        if (alive.stdout.trim() !== 'true') {
          const logs = await docker(['logs', id]);
          return { ok: false, detail: `server exited: ${logs.stdout}${logs.stderr}`.trim() };
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    return { ok: false, detail: `no answer on port ${http.port} within 30 s (${last})` };
  } finally {
    await docker(['rm', '-f', id]);
  }
}
