import { Minimatch } from 'minimatch';
import type { ResolvedEntrypoint } from '../analysers/entrypoint.js';
import type { Profile } from './profile.js';

/**
 * Picks the profile for `--profile auto` from the resolved entrypoint: a profile matches when
 * one of its program globs matches a program of the chain, or its kinds include the kind of
 * the program that finally runs; the highest priority wins.
 */
export function detectProfile(entry: ResolvedEntrypoint, profiles: readonly Profile[]): Profile | undefined {
  const programs = entry.chain.map((s) => `/${s.path}`);
  const kind = entry.chain[0]!.kind === 'script' ? 'script' : entry.program.kind;
  let best: Profile | undefined;
  let bestScore = -Infinity;
  for (const p of profiles) {
    const d = p.detect;
    if (!d) continue;
    const byProgram = (d.program ?? []).some((g) => {
      const m = new Minimatch(g, { dot: true });
      return programs.some((prog) => m.match(prog));
    });
    const byKind = kind !== 'other' && (d.kind ?? []).includes(kind);
    if (!byProgram && !byKind) continue;
    // A program match is more specific than a kind match.
    const score = (d.priority ?? 0) + (byProgram ? 1000 : 0);
    if (score > bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
