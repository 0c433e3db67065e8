import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { ProbeFailedError, renderProbes } from '../probe/probe-report.js';
import { runProbes } from '../probe/run-probes.js';
import { printJson, printText } from '../report/output.js';
import { parseReference } from '../transports/index.js';
import { addProbeOptions, probeTimeouts, probesFrom, type ProbeFlags } from './probe-options.js';

export function registerVerifyCommand(program: Command): void {
  addProbeOptions(
    program
      .command('verify')
      .description('run an original and a slimmed image side by side and compare their answers to probes')
      .argument('<original>', 'original image in the daemon')
      .argument('<slimmed>', 'slimmed image in the daemon'),
  )
    .option('--json', 'one JSON document on stdout')
    .action(async (original: string, slimmed: string, flags: ProbeFlags & { json?: boolean }) => {
      const probes = probesFrom(flags);
      if (probes.length === 0) throw new UsageError('verify needs at least one --probe or --probe-cmd');
      const images = [original, slimmed].map((ref) => {
        const r = parseReference(ref);
        if (r.transport !== 'docker-daemon') throw new UsageError(`${ref}: probes run containers, so both images must be in the daemon (whittle copy loads one)`);
        return r.name!;
      });
      const results = await runProbes(images[0]!, images[1]!, probes, probeTimeouts(flags));
      if (flags.json) printJson({ original, slimmed, probes: results, passed: results.every((r) => r.passed) });
      else printText(renderProbes(results));
      if (!results.every((r) => r.passed)) throw new ProbeFailedError(results);
    });
}
