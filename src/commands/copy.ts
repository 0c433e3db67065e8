import type { Command } from 'commander';
import { printJson, printText } from '../report/output.js';
import { openImage, writeImage } from '../transports/index.js';
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
      try {
        const result = await writeImage(image, dst);
        if (opts.json) printJson({ source: src, ...result });
        else printText(`${result.reference} ${result.imageId}`);
      } finally {
        await image.close();
      }
    });
}
