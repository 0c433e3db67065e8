import { Transform, type TransformCallback } from 'node:stream';
import cliProgress from 'cli-progress';
import { formatBytes } from './format.js';

/**
 * Progress of the long phases (reading, analysing, writing, loading). Library code reports to
 * the current reporter; the CLI picks one: bars on a terminal, plain lines in CI and pipes,
 * nothing with --quiet or for library users who did not ask.
 */
export interface ProgressReporter {
  /** A phase begins; `total` in bytes (or items when `unit` is 'files') when known. */
  begin(phase: string, total?: number, unit?: 'bytes' | 'files'): void;
  advance(amount: number): void;
  end(): void;
}

const silent: ProgressReporter = { begin() {}, advance() {}, end() {} };
let current: ProgressReporter = silent;

export function setProgressReporter(r: ProgressReporter): void {
  current = r;
}

export function progress(): ProgressReporter {
  return current;
}

/** Counts bytes flowing through into the current phase. */
export function countingStream(): Transform {
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      current.advance(chunk.length);
      cb(null, chunk);
    },
  });
}

/** One line per phase when it ends: for logs, where animation would be noise. */
export class PlainProgress implements ProgressReporter {
  private phase = '';
  private done = 0;
  private unit: 'bytes' | 'files' = 'bytes';
  private started = 0;
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  begin(phase: string, _total?: number, unit: 'bytes' | 'files' = 'bytes'): void {
    this.phase = phase;
    this.done = 0;
    this.unit = unit;
    this.started = Date.now();
  }
  advance(n: number): void {
    this.done += n;
  }
  end(): void {
    if (!this.phase) return;
    const amount = this.unit === 'bytes' ? formatBytes(this.done) : `${this.done} files`;
    this.out.write(`${this.phase}: ${amount} in ${((Date.now() - this.started) / 1000).toFixed(1)} s\n`);
    this.phase = '';
  }
}

/** Bars with bytes, redrawn in place on a terminal. */
export class BarProgress implements ProgressReporter {
  private bar?: cliProgress.SingleBar;
  private unit: 'bytes' | 'files' = 'bytes';
  private value = 0;
  constructor(private readonly color: boolean) {}
  begin(phase: string, total?: number, unit: 'bytes' | 'files' = 'bytes'): void {
    this.end();
    this.unit = unit;
    this.value = 0;
    const fmt = (v: number): string => (this.unit === 'bytes' ? formatBytes(v) : `${v} files`);
    this.bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: (options, params) => {
          const width = options.barsize ?? 30;
          const filled = params.total > 0 ? Math.round(Math.min(1, params.value / params.total) * width) : 0;
          const bar = params.total > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : '';
          const name = this.color ? `\x1b[1m${phase.padEnd(10)}\x1b[0m` : phase.padEnd(10);
          return `${name} ${bar} ${fmt(params.value)}${params.total > 0 ? ` / ${fmt(params.total)}` : ''}`;
        },
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
        fps: 10,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total ?? 0, 0);
  }
  advance(n: number): void {
    this.value += n;
    this.bar?.update(this.value);
  }
  end(): void {
    if (!this.bar) return;
    this.bar.update(this.value);
    this.bar.stop();
    this.bar = undefined;
  }
}
