import type { Command } from 'commander';
import { loadBuiltinProfiles } from '../profiles/load-profile.js';
import { formatTable } from '../report/format.js';
import { printJson, printText } from '../report/output.js';

export function registerProfilesCommand(program: Command): void {
  program
    .command('profiles')
    .description('list the built-in profiles')
    .option('--json', 'one JSON document on stdout')
    .action(async (opts: { json?: boolean }) => {
      const profiles = await loadBuiltinProfiles();
      if (opts.json) printJson(profiles);
      else printText(formatTable(['profile', 'description'], profiles.map((p) => [p.name, p.description])));
    });
}
