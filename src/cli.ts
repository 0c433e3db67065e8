#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCopyCommand } from './commands/copy.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerProfilesCommand } from './commands/profiles.js';
import { registerSlimCommand } from './commands/slim.js';
import { EXIT_CODES, describeError, exitCodeFor } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('whittle')
  .description('Shrink container images after they are built: keep what the program needs at run time.')
  .version(pkg.version)
  .option('--platform <os/arch[/variant]>', 'which image of a multi-platform index (default: this machine)')
  .option('-q, --quiet', 'no progress output')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.endsWith('\n') ? text : `${text}\n`) });

registerSlimCommand(program);
registerInspectCommand(program);
registerCopyCommand(program);
registerProfilesCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_CODES.usage;
  } else {
    process.stderr.write(`whittle: ${describeError(err)}\n`);
    if (process.env.WHITTLE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
