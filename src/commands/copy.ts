import type { Command } from 'commander';
import { formatFields } from '../report/format.js';
import { printJson, printText } from '../report/output.js';
import { openImage, writeImage, type WriteResult } from '../transports/index.js';
import { platformOption, type GlobalOptions } from './common.js';

export function registerCopyCommand(program: Command): void {
  program
    .command('copy')
    .description('copy an image between transports (docker-daemon:, docker-archive:, oci:, oci-archive:)')
    .argument('<src>', 'source image reference')
    .argument('<dst>', 'destination reference; docker-daemon:NAME:TAG loads it under that tag')
    .option('--json', 'one JSON document on stdout')
    .action(async (src: string, dst: string, opts: { json?: boolean }, cmd: Command) => {
      const image = await openImage(src, { platform: platformOption(cmd.optsWithGlobals<GlobalOptions>()) });
      let result: WriteResult;
      try {
        // The sink writes under a temporary name and renames, so a failure leaves nothing at dst.
        result = await writeImage(image, dst);
      } finally {
        await image.close();
      }
      if (opts.json) printJson({ source: src, ...result });
      else printText(renderCopy(src, result));
    });
}

export function renderCopy(src: string, r: WriteResult): string {
  return formatFields([
    ['Copied', src],
    ['To', r.reference],
    ['ID', r.imageId],
    ...(r.manifestDigest ? [['Manifest', r.manifestDigest] as const] : []),
  ]);
}
