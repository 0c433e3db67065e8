import { basename, cleanPath, dirname } from '../rootfs/paths.js';
import type { TarEntry } from '../tar/tar-reader.js';

/** One path's appearances across layers, as dive's EfficiencyData. */
export interface Inefficiency {
  path: string;
  /** Sum of the sizes of every appearance (a whited-out file counts 0, a whited-out dir its contents). */
  cumulativeSize: number;
  count: number;
}

export interface EfficiencyResult {
  /** 1.0 is perfect: sum of min sizes / sum of cumulative sizes over every path. */
  efficiency: number;
  wastedBytes: number;
  inefficiencies: Inefficiency[];
}

type LayerTree = Map<string, number>;

/**
 * dive's efficiency (filetree/efficiency.go), computed from layer tar headers only. For every
 * leaf path of every layer: its size (for a whiteout, 0 if it hid a file, and the size of
 * everything under it if it hid a directory). Paths seen in two or more layers are wasted.
 */
export function computeEfficiency(layers: ReadonlyArray<readonly TarEntry[]>): EfficiencyResult {
  const data = new Map<string, { cumulative: number; min: number; count: number }>();
  const stacked = new Map<string, { size: number; dir: boolean }>();
  for (const entries of layers) {
    const leaves = leafSizes(entries, stacked);
    for (const [path, size] of leaves) {
      const d = data.get(path);
      if (d) {
        d.cumulative += size;
        d.min = Math.min(d.min, size);
        d.count++;
      } else data.set(path, { cumulative: size, min: size, count: 1 });
    }
    applyToStack(stacked, entries);
  }
  let minSum = 0;
  let cumSum = 0;
  let wasted = 0;
  const inefficiencies: Inefficiency[] = [];
  for (const [path, d] of data) {
    minSum += d.min;
    cumSum += d.cumulative;
    if (d.count >= 2) {
      wasted += d.cumulative;
      inefficiencies.push({ path: `/${path}`, cumulativeSize: d.cumulative, count: d.count });
    }
  }
  inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || (a.path < b.path ? -1 : 1));
  return { efficiency: cumSum === 0 ? 1 : minSum / cumSum, wastedBytes: wasted, inefficiencies };
}

function leafSizes(entries: readonly TarEntry[], stacked: ReadonlyMap<string, { size: number; dir: boolean }>): LayerTree {
  const paths = new Map<string, { size: number; whiteout: boolean }>();
  const parents = new Set<string>();
  for (const e of entries) {
    const p = cleanPath(e.name);
    if (p === '') continue;
    const name = basename(p);
    if (name === '.wh..wh..opq') continue;
    if (name.startsWith('.wh.')) {
      const hidden = cleanPath(`${dirname(p)}/${name.slice(4)}`);
      paths.set(hidden, { size: 0, whiteout: true });
    } else paths.set(p, { size: e.type === 'file' ? e.size : 0, whiteout: false });
    for (let d = dirname(p); d !== ''; d = dirname(d)) parents.add(d);
  }
  const leaves: LayerTree = new Map();
  for (const [p, v] of paths) {
    if (parents.has(p)) continue;
    if (v.whiteout) {
      const prev = stacked.get(p);
      leaves.set(p, prev?.dir ? sizeBelow(stacked, p) : 0);
    } else leaves.set(p, v.size);
  }
  return leaves;
}

function sizeBelow(stacked: ReadonlyMap<string, { size: number; dir: boolean }>, dir: string): number {
  let total = 0;
  const prefix = `${dir}/`;
  for (const [p, v] of stacked) if (p.startsWith(prefix)) total += v.size;
  return total;
}

function applyToStack(stacked: Map<string, { size: number; dir: boolean }>, entries: readonly TarEntry[]): void {
  const removeTree = (p: string): void => {
    stacked.delete(p);
    const prefix = `${p}/`;
    for (const k of [...stacked.keys()]) if (k.startsWith(prefix)) stacked.delete(k);
  };
  for (const e of entries) {
    const p = cleanPath(e.name);
    const name = basename(p);
    if (name === '.wh..wh..opq') {
      const prefix = `${dirname(p)}/`;
      for (const k of [...stacked.keys()]) if (k.startsWith(prefix)) stacked.delete(k);
    } else if (name.startsWith('.wh.')) removeTree(cleanPath(`${dirname(p)}/${name.slice(4)}`));
  }
  for (const e of entries) {
    const p = cleanPath(e.name);
    if (p === '' || basename(p).startsWith('.wh.')) continue;
    stacked.set(p, { size: e.type === 'file' ? e.size : 0, dir: e.type === 'dir' });
  }
}
