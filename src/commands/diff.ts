import type { Command } from 'commander';
import { diffImages, type ImageDiff } from '../diff/diff-images.js';
import { RootFs } from '../rootfs/rootfs.js';
import { formatBytes, formatTable } from '../report/format.js';
import { printJson, printText } from '../report/output.js';
import { openImage } from '../transports/index.js';
import { platformOption, type GlobalOptions } from './common.js';

export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description('compare two images: sizes, bytes per top-level directory, files added, removed and changed')
    .argument('<a>', 'first image (e.g. the original)')
    .argument('<b>', 'second image (e.g. the slimmed one)')
    .option('--json', 'one JSON document on stdout')
    .option('--markdown', 'a markdown report (for PR comments and step summaries)')
    .option('--files <n>', 'how many files of each list to print (text and markdown)', '20')
    .action(async (refA: string, refB: string, opts: { json?: boolean; markdown?: boolean; files: string }, cmd: Command) => {
      const platform = platformOption(cmd.optsWithGlobals<GlobalOptions>());
      const imageA = await openImage(refA, { platform });
      try {
        const imageB = await openImage(refB, { platform });
        const [fsA, fsB] = await Promise.all([RootFs.fromImage(imageA), RootFs.fromImage(imageB)]);
        try {
          const d = await diffImages({ image: imageA, fs: fsA, ref: refA }, { image: imageB, fs: fsB, ref: refB });
          if (opts.json) printJson(d);
          else printText(opts.markdown ? renderDiffMarkdown(d, Number(opts.files)) : renderDiffText(d, Number(opts.files)));
        } finally {
          await fsA.close();
          await fsB.close();
          await imageB.close();
        }
      } finally {
        await imageA.close();
      }
    });
}

function fileRows(list: ImageDiff['added'], n: number): string[][] {
  return list
    .slice()
    .sort((x, y) => (y.sizeA ?? y.sizeB ?? 0) - (x.sizeA ?? x.sizeB ?? 0))
    .slice(0, n)
    .map((f) => [f.path, f.sizeA !== undefined && f.sizeB !== undefined ? `${formatBytes(f.sizeA)} -> ${formatBytes(f.sizeB)}` : formatBytes(f.sizeA ?? f.sizeB ?? 0)]);
}

export function renderDiffText(d: ImageDiff, n: number): string {
  const out = [
    formatTable(['', 'image', 'size', 'files', 'layers'], [
      ['A', d.a.reference, formatBytes(d.a.dockerSize), String(d.a.files), String(d.a.layers.length)],
      ['B', d.b.reference, formatBytes(d.b.dockerSize), String(d.b.files), String(d.b.layers.length)],
    ]),
    '',
    formatTable(['directory', 'A', 'B', 'removed', 'added'], d.directories.slice(0, 15).map((x) => [x.dir, formatBytes(x.bytesA), formatBytes(x.bytesB), formatBytes(x.removed), formatBytes(x.added)])),
  ];
  for (const [title, list] of [['removed', d.removed], ['added', d.added], ['changed', d.changed]] as const) {
    out.push('', `${list.length} files ${title}${list.length > n ? ` (largest ${n})` : ''}`);
    if (list.length) out.push(formatTable(['path', 'size'], fileRows(list, n)));
  }
  for (const [name, s] of [['A', d.a], ['B', d.b]] as const) {
    out.push('', formatTable([`layers of ${name}`, 'size', 'created by'], s.layers.map((l) => [l.digest.slice(7, 19), formatBytes(l.size), l.createdBy.replace(/\s+/g, ' ').slice(0, 60)])));
  }
  return out.join('\n');
}

export function renderDiffMarkdown(d: ImageDiff, n: number): string {
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const out = [
    '| | image | size | files | layers |',
    '| --- | --- | ---: | ---: | ---: |',
    row(['A', `\`${d.a.reference}\``, formatBytes(d.a.dockerSize), String(d.a.files), String(d.a.layers.length)]),
    row(['B', `\`${d.b.reference}\``, formatBytes(d.b.dockerSize), String(d.b.files), String(d.b.layers.length)]),
    '',
    '| directory | A | B | removed | added |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...d.directories.slice(0, 15).map((x) => row([`\`${x.dir}\``, formatBytes(x.bytesA), formatBytes(x.bytesB), formatBytes(x.removed), formatBytes(x.added)])),
  ];
  for (const [title, list] of [['removed', d.removed], ['added', d.added], ['changed', d.changed]] as const) {
    out.push('', `<details><summary>${list.length} files ${title}</summary>`, '', ...fileRows(list, n).map(([p, s]) => `- \`${p}\` ${s}`), '', '</details>');
  }
  return out.join('\n');
}
