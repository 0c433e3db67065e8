import type { Command } from 'commander';
import { commandProbe, httpProbe, type ProbeSpec } from '../probe/probe-spec.js';

export interface ProbeFlags {
  probe: string[];
  probeCmd: string[];
  probeTimeout: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The probe flags `slim` and `verify` share. */
export function addProbeOptions(cmd: Command): Command {
  return cmd
    .option('--probe <url>', 'GET this URL (on 127.0.0.1) from the original and the slimmed image and compare (repeatable)', collect, [])
    .option('--probe-cmd <args>', 'run both images with these arguments and compare exit code and stdout (repeatable)', collect, [])
    .option('--probe-timeout <seconds>', 'how long a server may take to answer, or a command to run', '30');
}

export function probesFrom(flags: ProbeFlags): ProbeSpec[] {
  return [...flags.probe.map(httpProbe), ...flags.probeCmd.map(commandProbe)];
}

export function probeTimeouts(flags: ProbeFlags): { readyTimeoutMs: number; commandTimeoutMs: number } {
  const s = Number(flags.probeTimeout);
  const ms = Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
  return { readyTimeoutMs: ms, commandTimeoutMs: ms };
}
