import type { Command } from 'commander';
import { inspectImage, type ImageReport } from '../inspect/inspect-image.js';
import { formatBytes, formatPercent, formatTable } from '../report/format.js';
import { printJson, printText } from '../report/output.js';
import { openImage } from '../transports/index.js';
import { platformOption, type GlobalOptions } from './common.js';

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('show an image: config, layers, size, wasted bytes and the largest directories')
    .argument('<ref>', 'image reference (docker-daemon:, docker-archive:, oci:, oci-archive:, or a bare name)')
    .option('--json', 'one JSON document on stdout')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const image = await openImage(ref, { platform: platformOption(global) });
      try {
        const report = await inspectImage(image, ref);
        if (opts.json) printJson(report);
        else printText(renderInspect(report));
      } finally {
        await image.close();
      }
    });
}

export function renderInspect(r: ImageReport): string {
  const c = r.config;
  const lines = [
    `Image       ${r.reference}`,
    `ID          ${r.id}`,
    `Platform    ${r.platform}`,
    `Entrypoint  ${JSON.stringify(c.Entrypoint)}`,
    `Cmd         ${JSON.stringify(c.Cmd)}`,
    `User        ${c.User || '(root)'}`,
    `WorkingDir  ${c.WorkingDir || '/'}`,
    `Ports       ${c.ExposedPorts.join(', ') || '-'}`,
    `Env         ${c.Env.join('\n            ') || '-'}`,
    `Labels      ${Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`).join('\n            ') || '-'}`,
    '',
    `Size        ${formatBytes(r.totalSize)} in ${r.fileCount} files and ${r.layers.length} layers`,
    `Wasted      ${formatBytes(r.wastedBytes)} (efficiency ${formatPercent(r.efficiency)}, ${formatPercent(r.userWastedPercent)} of the layers above the first)`,
    '',
    formatTable(
      ['#', 'size', 'digest', 'created by'],
      r.layers.map((l, i) => [String(i + 1), formatBytes(l.contentSize), l.digest.slice(7, 19), truncate(l.createdBy, 70)]),
    ),
    '',
    formatTable(['largest directories', 'size', 'files'], r.largestDirectories.map((d) => [d.path, formatBytes(d.bytes), String(d.files)])),
  ];
  if (r.inefficiencies.length > 0) {
    lines.push('', formatTable(['wasted', 'count', 'path'], r.inefficiencies.slice(0, 10).map((i) => [formatBytes(i.cumulativeSize), String(i.count), i.path])));
  }
  return lines.join('\n');
}

function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}
