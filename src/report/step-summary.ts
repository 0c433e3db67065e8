import { appendFile } from 'node:fs/promises';
import type { ProbeResult } from '../probe/run-probes.js';
import type { SlimResult } from '../slim/slim-image.js';
import { formatBytes, formatPercent } from './format.js';

/** GitHub Actions shows this file's markdown on the run's summary page. */
export async function appendStepSummary(markdown: string): Promise<void> {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  await appendFile(file, `${markdown}\n`);
}

export function slimSummaryMarkdown(r: SlimResult, probes: readonly ProbeResult[] | undefined, misses: readonly string[]): string {
  const lines = ['### whittle slim', '', '| | image | size | files |', '| --- | --- | ---: | ---: |', `| original | \`${r.source.reference}\` | ${formatBytes(r.source.size)} | ${r.source.files} |`];
  if (r.output) {
    lines.push(`| slimmed | \`${r.output.reference}\` | ${formatBytes(r.output.size)} | ${r.output.files} |`);
    const saved = r.source.size - r.output.size;
    lines.push('', `**${formatPercent(r.source.size ? saved / r.source.size : 0)} smaller** (${formatBytes(saved)} saved), profile \`${r.profile}\`, base \`${r.base}\`.`);
  }
  if (probes?.length) {
    lines.push('', '| probe | result |', '| --- | --- |', ...probes.map((p) => `| \`${p.probe}\` | ${p.passed ? 'pass' : `**fail**: ${(p.difference ?? '').replace(/\|/g, '\\|')}`} |`));
  }
  if (misses.length) lines.push('', ...misses.map((m) => `- threshold missed: ${m}`));
  if (r.warnings.length) lines.push('', '<details><summary>warnings</summary>', '', ...r.warnings.map((w) => `- ${w}`), '', '</details>');
  return lines.join('\n');
}
