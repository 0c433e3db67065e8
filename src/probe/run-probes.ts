import Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonError } from '../errors.js';
import { onInterrupt } from '../util/interrupt.js';
import type { ProbeSpec } from './probe-spec.js';

/** What one image answered to one probe. */
export interface ProbeAnswer {
  /** HTTP status, or the command's exit code. */
  code: number | null;
  /** Response body or the command's stdout. */
  output: string;
  /** Why there is no answer (never ready, timed out). */
  error?: string;
}

export interface ProbeResult {
  probe: string;
  passed: boolean;
  original: ProbeAnswer;
  slimmed: ProbeAnswer;
  /** A short description of the difference, when they differ. */
  difference?: string;
}

export interface ProbeOptions {
  /** How long a server may take to answer its first request. */
  readyTimeoutMs: number;
  /** How long a command probe may run. */
  commandTimeoutMs: number;
}

/** Containers this process started and has not removed yet: removed on Ctrl-C too. */
const live = new Set<Docker.Container>();
let signalsHooked = false;
function removeOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  onInterrupt(async () => {
    await Promise.allSettled([...live].map((c) => c.remove({ force: true })));
  });
}

async function startContainer(docker: Docker, image: string, cmd: string[] | undefined, network: 'host' | 'none'): Promise<Docker.Container> {
  removeOnSignals();
  try {
    const container = await docker.createContainer({
      Image: image,
      ...(cmd ? { Cmd: cmd } : {}),
      Labels: { 'io.whittle.probe': 'true' },
      HostConfig: { NetworkMode: network },
    });
    live.add(container);
    await container.start();
    return container;
  } catch (err) {
    throw new DaemonError(`cannot start a container of ${image}: ${(err as Error).message}`, { cause: err });
  }
}

async function removeContainer(c: Docker.Container): Promise<void> {
  live.delete(c);
  await c.remove({ force: true }).catch(() => undefined);
}

/** Demultiplexes docker's log stream (8-byte frame headers) into stdout and stderr. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const stream = buf[i];
    const len = buf.readUInt32BE(i + 4);
    (stream === 2 ? err : out).push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

async function askCommand(docker: Docker, image: string, args: string[], opts: ProbeOptions): Promise<ProbeAnswer> {
  const c = await startContainer(docker, image, args.length > 0 ? args : undefined, 'none');
  try {
    const waited = await Promise.race([
      c.wait() as Promise<{ StatusCode: number }>,
      sleep(opts.commandTimeoutMs, undefined, { ref: false }),
    ]);
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const { stdout, stderr } = demux(Buffer.from(logs));
    if (!waited) return { code: null, output: stdout, error: `still running after ${opts.commandTimeoutMs / 1000} s` };
    return { code: waited.StatusCode, output: stdout, ...(waited.StatusCode !== 0 && stderr ? { error: stderr.trim().split('\n').slice(-3).join(' | ') } : {}) };
  } finally {
    await removeContainer(c);
  }
}

async function askHttp(docker: Docker, image: string, url: string, opts: ProbeOptions): Promise<ProbeAnswer> {
  const c = await startContainer(docker, image, undefined, 'host');
  try {
    const deadline = Date.now() + opts.readyTimeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(500, Math.min(5000, deadline - Date.now()))) });
        return { code: res.status, output: await res.text() };
      } catch (err) {
        last = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
        const state = (await c.inspect()).State;
        if (!state.Running) {
          const logs = demux(Buffer.from((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer));
          return { code: null, output: '', error: `exited with ${state.ExitCode} before answering: ${(logs.stderr || logs.stdout).trim().split('\n').slice(-3).join(' | ')}` };
        }
        await sleep(250);
      }
    }
    return { code: null, output: '', error: `no answer within ${opts.readyTimeoutMs / 1000} s (${last})` };
  } finally {
    await removeContainer(c);
  }
}

function describeDifference(a: ProbeAnswer, b: ProbeAnswer): string | undefined {
  if (b.error && !a.error) return `slimmed: ${b.error}`;
  if (a.code !== b.code) return `code ${a.code} vs ${b.code}${b.error ? ` (${b.error})` : ''}`;
  if (a.output !== b.output) {
    let i = 0;
    while (i < a.output.length && a.output[i] === b.output[i]) i++;
    return `output differs at byte ${i}: ${JSON.stringify(a.output.slice(i, i + 60))} vs ${JSON.stringify(b.output.slice(i, i + 60))}`;
  }
  return undefined;
}

/**
 * Runs each probe against the original and then the slimmed image (one container at a time,
 * so both can use the same port) and compares status and body, or exit code and stdout.
 * Every container is removed afterwards, also on failure or Ctrl-C.
 */
export async function runProbes(original: string, slimmed: string, probes: readonly ProbeSpec[], opts: ProbeOptions): Promise<ProbeResult[]> {
  const docker = new Docker();
  const results: ProbeResult[] = [];
  for (const p of probes) {
    const ask = (image: string): Promise<ProbeAnswer> => (p.kind === 'http' ? askHttp(docker, image, p.url, opts) : askCommand(docker, image, p.args, opts));
    const a = await ask(original);
    const b = await ask(slimmed);
    const difference = a.error && b.error && a.error === b.error ? undefined : describeDifference(a, b);
    results.push({ probe: p.kind === 'http' ? `GET ${p.url}` : `run ${p.text}`, passed: difference === undefined && a.code !== null, original: a, slimmed: b, ...(difference ? { difference } : {}) });
  }
  return results;
}
