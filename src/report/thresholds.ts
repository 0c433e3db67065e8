import { UsageError, WhittleError } from '../errors.js';
import { formatBytes, formatPercent } from './format.js';

export class ThresholdError extends WhittleError {
  constructor(message: string) {
    super('threshold', message);
  }
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "50MB", "1.5GB", "300MiB", "123456" -> bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`bad size ${JSON.stringify(text)}: use bytes or a unit (kB, MB, GB, MiB, GiB), e.g. 50MB`);
  return Math.round(Number(m[1]) * unit);
}

export function parsePercent(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m || Number(m[1]) > 100) throw new UsageError(`bad percentage ${JSON.stringify(text)}: use a number from 0 to 100, e.g. 60`);
  return Number(m[1]) / 100;
}

export interface SizeThresholds {
  maxSize?: number;
  minReduction?: number;
}

/** The CI gates on a slim: messages for every threshold missed, empty when all pass. */
export function checkSizeThresholds(t: SizeThresholds, originalSize: number, slimmedSize: number): string[] {
  const misses: string[] = [];
  if (t.maxSize !== undefined && slimmedSize > t.maxSize) misses.push(`slimmed size ${formatBytes(slimmedSize)} is over --max-size ${formatBytes(t.maxSize)}`);
  const reduction = originalSize > 0 ? (originalSize - slimmedSize) / originalSize : 0;
  if (t.minReduction !== undefined && reduction < t.minReduction) misses.push(`reduction ${formatPercent(reduction)} is under --min-reduction ${formatPercent(t.minReduction)}`);
  return misses;
}
