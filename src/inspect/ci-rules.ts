import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { BadInputError } from '../errors.js';
import { formatBytes, formatPercent } from '../report/format.js';
import { parseSize } from '../report/thresholds.js';
import type { ImageReport } from './inspect-image.js';

/** dive's CI rules (.dive-ci), under the same names, read from .whittle-ci.yaml or flags. */
export interface CiRules {
  lowestEfficiency?: number;
  highestWastedBytes?: number;
  highestUserWastedPercent?: number;
  maxSize?: number;
}

export interface CiRuleResult {
  rule: string;
  passed: boolean;
  detail: string;
}

/** A ratio as dive writes it (0.95), or a percentage ("95%"); "disabled" turns a rule off. */
function ratio(value: unknown, field: string, file: string): number | undefined {
  if (value === undefined || value === 'disabled') return undefined;
  const text = String(value).trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new BadInputError(`${file}: rules.${field} must be a ratio from 0 to 1 (e.g. 0.95) or a percentage, not ${JSON.stringify(value)}`);
  return n;
}

function bytes(value: unknown, field: string, file: string): number | undefined {
  if (value === undefined || value === 'disabled') return undefined;
  try {
    return parseSize(String(value));
  } catch {
    throw new BadInputError(`${file}: rules.${field} must be a size such as 20MB, not ${JSON.stringify(value)}`);
  }
}

export async function readCiRules(file: string): Promise<CiRules> {
  let doc: unknown;
  try {
    doc = parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new BadInputError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  return readCiRulesFromObject((doc as { rules?: Record<string, unknown> } | null)?.rules ?? {}, file);
}

/** Validates rules given as an object (the file's `rules:`, or the flags). */
export async function readCiRulesFromObject(raw: Record<string, unknown>, file = 'flags'): Promise<CiRules> {
  const rules = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const known = ['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent', 'maxSize'];
  for (const k of Object.keys(rules)) if (!known.includes(k)) throw new BadInputError(`${file}: rules.${k} is not a rule (known: ${known.join(', ')})`);
  const r: CiRules = {};
  const eff = ratio(rules.lowestEfficiency, 'lowestEfficiency', file);
  const wasted = bytes(rules.highestWastedBytes, 'highestWastedBytes', file);
  const user = ratio(rules.highestUserWastedPercent, 'highestUserWastedPercent', file);
  const max = bytes(rules.maxSize, 'maxSize', file);
  if (eff !== undefined) r.lowestEfficiency = eff;
  if (wasted !== undefined) r.highestWastedBytes = wasted;
  if (user !== undefined) r.highestUserWastedPercent = user;
  if (max !== undefined) r.maxSize = max;
  return r;
}

export function evaluateCiRules(report: ImageReport, rules: CiRules): CiRuleResult[] {
  const out: CiRuleResult[] = [];
  if (rules.lowestEfficiency !== undefined) {
    out.push({ rule: 'lowestEfficiency', passed: report.efficiency >= rules.lowestEfficiency, detail: `efficiency ${formatPercent(report.efficiency)}, lowest allowed ${formatPercent(rules.lowestEfficiency)}` });
  }
  if (rules.highestWastedBytes !== undefined) {
    out.push({ rule: 'highestWastedBytes', passed: report.wastedBytes <= rules.highestWastedBytes, detail: `wasted ${formatBytes(report.wastedBytes)}, highest allowed ${formatBytes(rules.highestWastedBytes)}` });
  }
  if (rules.highestUserWastedPercent !== undefined) {
    out.push({ rule: 'highestUserWastedPercent', passed: report.userWastedPercent <= rules.highestUserWastedPercent, detail: `user wasted ${formatPercent(report.userWastedPercent)}, highest allowed ${formatPercent(rules.highestUserWastedPercent)}` });
  }
  if (rules.maxSize !== undefined) {
    out.push({ rule: 'maxSize', passed: report.size <= rules.maxSize, detail: `size ${formatBytes(report.size)}, largest allowed ${formatBytes(rules.maxSize)}` });
  }
  return out;
}
