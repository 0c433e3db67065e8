import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { formatBytes, formatPercent, formatTable } from '../report/format.js';
import { note, printJson, printText } from '../report/output.js';
import { LAYER_TITLES } from '../slim/build-image.js';
import { slimImage, type SlimResult } from '../slim/slim-image.js';
import { platformOption, type GlobalOptions } from './common.js';
import { addProbeOptions, probeTimeouts, probesFrom, type ProbeFlags } from './probe-options.js';
import { ProbeFailedError, renderProbes } from '../probe/probe-report.js';
import { runProbes, type ProbeResult } from '../probe/run-probes.js';
import { parseReference } from '../transports/index.js';
import { checkSizeThresholds, parsePercent, parseSize, ThresholdError } from '../report/thresholds.js';
import Docker from 'dockerode';
import { appendStepSummary, slimSummaryMarkdown } from '../report/step-summary.js';

interface SlimFlags extends ProbeFlags {
  probeRequired?: boolean;
  maxSize?: string;
  minReduction?: string;
  tag?: string;
  output?: string;
  profile: string;
  base?: string;
  keep: string[];
  drop: string[];
  set: string[];
  audit?: string;
  dryRun?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerSlimCommand(program: Command): void {
  const cmd = program
    .command('slim')
    .description('write a small image holding only what the program needs at run time')
    .argument('<src>', 'source image (docker-daemon:, docker-archive:, oci:, oci-archive:, or a bare name)')
    .option('-t, --tag <name:tag>', 'tag for the slimmed image (default NAME:TAG-slim)')
    .option('-o, --output <ref>', 'write here instead of the daemon (docker-archive:PATH, oci:DIR, oci-archive:PATH, docker-daemon:NAME:TAG)')
    .option('--profile <auto|name|path>', 'what to keep: a built-in profile, a profile file, or auto (from the entrypoint)', 'auto')
    .option('--base <scratch|distroless|ref>', "what to build on (default: the profile's, distroless)")
    .option('--keep <glob>', 'also keep paths matching this glob (repeatable)', collect, [])
    .option('--drop <glob>', 'never keep paths matching this glob (repeatable)', collect, [])
    .option('--set <section.key=value>', 'change a profile setting, e.g. node.dropSourceMaps=true or python.dropBytecode=true (repeatable)', collect, [])
    .option('--audit <file>', 'write one JSON line per path: kept or dropped, and why')
    .option('--dry-run', 'print the plan and write nothing')
    .option('--json', 'one JSON document on stdout')
    .option('--probe-required', 'a failed probe fails the run and removes the new tag')
    .option('--max-size <size>', 'fail (exit 6) if the slimmed image is larger, e.g. 50MB')
    .option('--min-reduction <percent>', 'fail (exit 6) if the image shrank by less, e.g. 60');
  addProbeOptions(cmd).action(async (src: string, flags: SlimFlags, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const probes = probesFrom(flags);
      const thresholds = {
        ...(flags.maxSize ? { maxSize: parseSize(flags.maxSize) } : {}),
        ...(flags.minReduction ? { minReduction: parsePercent(flags.minReduction) } : {}),
      };
      if (probes.length > 0) {
        if (parseReference(src).transport !== 'docker-daemon') throw new UsageError('probes run the original image, so it must come from the daemon (docker-daemon:NAME)');
        if (flags.output && parseReference(flags.output).transport !== 'docker-daemon') throw new UsageError('probes run the slimmed image, so --output must be the daemon');
        if (flags.dryRun) throw new UsageError('--dry-run writes no image to probe');
      }
      const epoch = process.env.SOURCE_DATE_EPOCH;
      if (epoch !== undefined && !/^\d+$/.test(epoch)) throw new UsageError(`SOURCE_DATE_EPOCH must be whole seconds, not ${JSON.stringify(epoch)}`);
      const result = await slimImage({
        source: src,
        ...(flags.output ? { output: flags.output } : {}),
        ...(flags.tag ? { tag: flags.tag } : {}),
        profile: flags.profile,
        ...(flags.base ? { base: flags.base } : {}),
        keep: flags.keep,
        drop: flags.drop,
        settings: flags.set,
        ...(flags.audit ? { audit: flags.audit } : {}),
        dryRun: flags.dryRun ?? false,
        platform: platformOption(global),
        mtime: epoch ? Number(epoch) : 0,
        warn: (m) => {
          if (!global.quiet) note(`warning: ${m}`);
        },
      });
      let probeResults: ProbeResult[] | undefined;
      if (probes.length > 0 && result.output) {
        const slimmedName = parseReference(result.output.reference).name!;
        probeResults = await runProbes(parseReference(src).name!, slimmedName, probes, probeTimeouts(flags));
        if (flags.probeRequired && !probeResults.every((r) => r.passed)) {
          // A slim that does not behave is not left behind to be pushed by mistake.
          await new Docker().getImage(slimmedName).remove().catch(() => undefined);
        }
      }
      const misses = result.output && !result.dryRun ? checkSizeThresholds(thresholds, result.source.size, result.output.size) : [];
      if (flags.json) printJson({ ...result, ...(probeResults ? { probes: probeResults } : {}), thresholds: { ...thresholds, missed: misses } });
      else printText(renderSlim(result) + (probeResults ? `\n\nprobes:\n${renderProbes(probeResults)}` : ''));
      await appendStepSummary(slimSummaryMarkdown(result, probeResults, misses));
      if (probeResults && !probeResults.every((r) => r.passed)) {
        if (flags.probeRequired) throw new ProbeFailedError(probeResults);
        if (!global.quiet) note('warning: probes failed (see above); --probe-required makes that fail the run');
      }
      if (misses.length > 0) throw new ThresholdError(misses.join('; '));
    });
}

export function renderSlim(r: SlimResult): string {
  const lines = [`profile ${r.profile}, base ${r.base}, program ${r.program}`, ''];
  const rows: string[][] = [['original', r.source.reference, formatBytes(r.source.size), String(r.source.files), String(r.source.layers)]];
  if (r.output) {
    rows.push(['slimmed', r.output.reference, formatBytes(r.output.size), String(r.output.files), String(r.output.layers)]);
  }
  lines.push(formatTable(['', 'image', 'size', 'files', 'layers'], rows));
  if (r.output) {
    const saved = r.source.size - r.output.size;
    lines.push('', `saved ${formatBytes(saved)} (${formatPercent(r.source.size ? saved / r.source.size : 0)} smaller)`);
  }
  lines.push('', formatTable(['layer', 'files', 'bytes'], r.plan.map((l) => [LAYER_TITLES[l.layer], String(l.files), formatBytes(l.bytes)])));
  lines.push('', formatTable(['kept by', 'bytes'], Object.entries(r.keptBytesBy).sort((a, b) => b[1] - a[1]).map(([by, n]) => [by, formatBytes(n)])));
  if (r.dryRun) lines.push('', 'dry run: nothing written');
  else if (r.output) lines.push('', `wrote ${r.output.reference} (${r.output.id})`);
  return lines.join('\n');
}
