/** Text formatting for human output: sizes, percentages, aligned tables, optional color. */

/** Human sizes as docker prints them: decimal units, three significant digits. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(Math.abs(v) < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/**
 * Whether to color output on a stream: never with NO_COLOR set to anything (no-color.org),
 * always with FORCE_COLOR set (but not "0"), else only on a terminal that is not "dumb".
 */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green';

const SGR: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], green: [32, 39] };

/** Wraps text in an ANSI style when color is on for stdout; plain text otherwise. */
export function style(text: string, s: Style, enabled: boolean = colorEnabled()): string {
  if (!enabled || text === '') return text;
  const [on, off] = SGR[s];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

const NUMERIC_CELL = /^-?[\d.,]+( ?[kMGT]?B|%)?$/;

/**
 * An aligned text table: a header, a rule, the rows. Columns whose cells are all numbers or
 * sizes are right-aligned. Widths are counted before styling, so color never breaks alignment.
 */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, opts: { color?: boolean } = {}): string {
  const color = opts.color ?? colorEnabled();
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => NUMERIC_CELL.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [style(line(header), 'bold', color), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** "key   value" lines with the keys padded to one width; continuation lines indented under the value. */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>, opts: { color?: boolean } = {}): string {
  const color = opts.color ?? colorEnabled();
  const width = Math.max(0, ...fields.map(([k]) => k.length)) + 2;
  return fields
    .map(([k, v]) => {
      const [first = '', ...rest] = v.split('\n');
      return [style(k.padEnd(width), 'bold', color) + first, ...rest.map((l) => ' '.repeat(width) + l)].join('\n').trimEnd();
    })
    .join('\n');
}
