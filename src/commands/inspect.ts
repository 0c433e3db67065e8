import type { Command } from 'commander';
import { inspectImage, type ImageReport } from '../inspect/inspect-image.js';
import { shortCreatedBy, truncate } from '../inspect/layer-table.js';
import { formatBytes, formatFields, formatPercent, formatTable, style } from '../report/format.js';
import { printJson, printText } from '../report/output.js';
import { openImage } from '../transports/index.js';
import { evaluateCiRules, readCiRules, readCiRulesFromObject, type CiRules } from '../inspect/ci-rules.js';
import { ThresholdError } from '../report/thresholds.js';
import { platformOption, type GlobalOptions } from './common.js';

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('show an image: config, layers, size, wasted bytes and the largest directories')
    .argument('<ref>', 'image reference (docker-daemon:, docker-archive:, oci:, oci-archive:, or a bare name)')
    .option('--json', 'one JSON document on stdout')
    .option('--ci', "apply dive's CI rules (from .whittle-ci.yaml and the flags below); a miss exits 6")
    .option('--ci-config <file>', 'where the CI rules are', '.whittle-ci.yaml')
    .option('--lowest-efficiency <ratio>', 'CI rule: lowest efficiency allowed, e.g. 0.95')
    .option('--highest-wasted-bytes <size>', 'CI rule: most wasted bytes allowed, e.g. 20MB')
    .option('--highest-user-wasted-percent <ratio>', 'CI rule: most wasted share of the layers above the first, e.g. 0.2')
    .option('--max-size <size>', 'CI rule: largest image allowed, e.g. 200MB')
    .action(async (ref: string, opts: InspectFlags, cmd: Command) => {
      const rules = opts.ci || opts.lowestEfficiency || opts.highestWastedBytes || opts.highestUserWastedPercent || opts.maxSize ? await ciRulesFrom(opts) : undefined;
      const image = await openImage(ref, { platform: platformOption(cmd.optsWithGlobals<GlobalOptions>()) });
      let report: ImageReport;
      try {
        report = await inspectImage(image, ref);
      } finally {
        await image.close();
      }
      const ci = rules ? evaluateCiRules(report, rules) : undefined;
      if (opts.json) printJson(ci ? { ...report, ci } : report);
      else printText(renderInspect(report) + (ci ? `\n\n${ci.map((c) => `${c.passed ? 'pass' : 'FAIL'}  ${c.rule}: ${c.detail}`).join('\n')}` : ''));
      const failed = ci?.filter((c) => !c.passed) ?? [];
      if (failed.length > 0) throw new ThresholdError(failed.map((f) => `${f.rule}: ${f.detail}`).join('; '));
    });
}

interface InspectFlags {
  json?: boolean;
  ci?: boolean;
  ciConfig: string;
  lowestEfficiency?: string;
  highestWastedBytes?: string;
  highestUserWastedPercent?: string;
  maxSize?: string;
}

/** The file's rules, with flags taking precedence. */
async function ciRulesFrom(opts: InspectFlags): Promise<CiRules> {
  const fromFlags = await readCiRulesFromObject({
    lowestEfficiency: opts.lowestEfficiency,
    highestWastedBytes: opts.highestWastedBytes,
    highestUserWastedPercent: opts.highestUserWastedPercent,
    maxSize: opts.maxSize,
  });
  return { ...(await readCiRules(opts.ciConfig)), ...fromFlags };
}

const CREATED_BY_WIDTH = 72;
const INEFFICIENCIES_LISTED = 10;

const orDash = (s: string): string => (s === '' ? '-' : s);
const json = (v: string[] | null): string => (v === null ? '-' : JSON.stringify(v));

/** The human form of the report. */
export function renderInspect(r: ImageReport): string {
  const c = r.config;
  const layerWord = r.layers.length === 1 ? 'layer' : 'layers';
  const sections = [
    formatFields([
      ['Image', r.reference],
      ['ID', r.id],
      ['Platform', r.platform],
      ['Tags', orDash(r.repoTags.join(', '))],
      ['Entrypoint', json(c.Entrypoint)],
      ['Cmd', json(c.Cmd)],
      ['Env', orDash(c.Env.join('\n'))],
      ['User', c.User || 'root (not set)'],
      ['WorkingDir', c.WorkingDir || '/ (not set)'],
      ['Ports', orDash(c.ExposedPorts.join(', '))],
      ['Labels', orDash(Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`).join('\n'))],
    ]),
    formatFields([
      ['Size', `${formatBytes(r.size)} (${r.size} bytes, as docker image inspect counts) in ${r.layers.length} ${layerWord}`],
      ['Content', `${formatBytes(r.contentBytes)} of file content in the layers, ${formatBytes(r.mergedBytes)} in the merged filesystem`],
      ['Files', `${r.fileCount} files and ${r.directoryCount} directories`],
      ['Wasted', `${formatBytes(r.wastedBytes)}: efficiency ${formatPercent(r.efficiency)}, ${formatPercent(r.userWastedPercent)} of the layers above the first`],
    ]),
    formatTable(
      ['#', 'size', 'digest', 'created by'],
      r.layers.map((l) => [
        String(l.index + 1),
        formatBytes(l.size),
        l.digest.replace(/^sha256:/, '').slice(0, 12),
        truncate(shortCreatedBy(l.createdBy) || (l.comment ?? ''), CREATED_BY_WIDTH),
      ]),
    ),
    formatTable(
      ['largest directories', 'size', 'files'],
      r.largestDirectories.map((d) => [d.path, formatBytes(d.bytes), String(d.files)]),
    ),
  ];
  const wasted = r.inefficiencies.filter((i) => i.cumulativeSize > 0).slice(0, INEFFICIENCIES_LISTED);
  if (wasted.length > 0) {
    const table = formatTable(
      ['wasted', 'layers', 'path'],
      wasted.map((i) => [formatBytes(i.cumulativeSize), i.layers.map((n) => n + 1).join(','), i.path]),
    );
    sections.push(`${style('Paths in more than one layer (dive counts every copy as wasted):', 'yellow')}\n${table}`);
  }
  return sections.join('\n\n');
}
