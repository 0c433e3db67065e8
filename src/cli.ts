#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCopyCommand } from './commands/copy.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerProfilesCommand } from './commands/profiles.js';
import { registerSlimCommand } from './commands/slim.js';
import { BarProgress, PlainProgress, setProgressReporter } from './report/progress.js';
import { colorEnabled } from './report/format.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerDiffCommand } from './commands/diff.js';
import { EXIT_CODES, describeError, exitCodeFor } from './errors.js';
import { exitQuietlyOnBrokenPipe, printError } from './report/output.js';

/**
 * The `whittle` command. Every command lives in src/commands/<name>.ts and exports
 * `register<Name>Command(program)`; the shared flags (--platform, --quiet) are read there with
 * `cmd.optsWithGlobals()` (src/commands/common.ts). Errors of any kind end here: one line
 * `whittle: <message>` on stderr and the exit code of the error's kind (src/errors.ts);
 * WHITTLE_DEBUG=1 adds the stack.
 */

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

let reported = false;

/** Prints the one error line of this run (later errors are echoes of the first) and gives its exit code. */
function report(err: unknown): number {
  const code = exitCodeFor(err);
  if (reported) return code;
  reported = true;
  printError(describeError(err));
  if (process.env.WHITTLE_DEBUG) {
    for (let e: unknown = err; e instanceof Error; e = (e as Error).cause) process.stderr.write(`${e.stack ?? e.message}\n`);
  }
  return code;
}

/**
 * An error raised outside the awaited chain (a stream's stray 'error' event) gets the same one
 * line. The process is not ended at once: the command's own clean-up (removing a half-written
 * destination) is still running; a timer ends it if that clean-up hangs.
 */
const GRACE_MS = 10_000;
function strayError(err: unknown): void {
  const code = report(err);
  process.exitCode ??= code;
  setTimeout(() => process.exit(), GRACE_MS).unref();
}
process.on('uncaughtException', strayError);
process.on('unhandledRejection', strayError);
exitQuietlyOnBrokenPipe();

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line. */
function usageMessage(text: string): string {
  return `${text.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim()} (see whittle --help)`;
}

const program = new Command()
  .name('whittle')
  .description('Shrink container images after they are built: keep what the program needs at run time.')
  .version(pkg.version)
  .option('--platform <os/arch[/variant]>', 'which image of a multi-platform index (default: this machine)')
  .option('-q, --quiet', 'no progress output or warnings')
  .exitOverride()
  .showSuggestionAfterError(true)
  .configureOutput({ outputError: (text) => printError(usageMessage(text)) })
  .hook('preAction', (_program, action) => {
    // Bars on a terminal; plain lines in CI and pipes; nothing with --quiet.
    const { quiet } = action.optsWithGlobals<{ quiet?: boolean }>();
    if (quiet) return;
    const animate = process.stderr.isTTY === true && !process.env.CI;
    setProgressReporter(animate ? new BarProgress(colorEnabled(process.stderr)) : new PlainProgress());
  });

// Commands, in the order `whittle --help` lists them. New ones (diff, verify, ...) go here.
registerSlimCommand(program);
registerInspectCommand(program);
registerCopyCommand(program);
registerProfilesCommand(program);
registerVerifyCommand(program);
registerDiffCommand(program);

// For the benchmark: this process's peak RSS, written where asked when it exits.
if (process.env.WHITTLE_RSS_FILE) {
  const file = process.env.WHITTLE_RSS_FILE;
  process.once('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS * 1024}\n`));
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0; usage errors were printed by outputError.
    process.exitCode = err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  } else {
    process.exitCode = report(err);
  }
}
