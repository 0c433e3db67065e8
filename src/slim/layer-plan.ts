import { Minimatch } from 'minimatch';
import type { LayerRule } from '../profiles/profile.js';
import type { RootFs } from '../rootfs/rootfs.js';
import { dirname } from '../rootfs/paths.js';
import { LAYER_CLASSES, type KeepSet, type LayerClass } from './keep-set.js';

export interface PlannedLayer {
  layer: LayerClass;
  /** Kept paths in this layer, sorted; parents are added when written. */
  paths: string[];
  bytes: number;
  files: number;
}

export interface LayerPlan {
  layers: PlannedLayer[];
  /** Kept path -> its layer. */
  layerOf: Map<string, LayerClass>;
}

/**
 * Puts every kept path in a layer: the first profile rule whose glob matches, else the layer
 * the analyser suggested, else 'app'. Layers come out least-changing first; empty ones are left out.
 */
export function planLayers(fs: RootFs, keep: KeepSet, rules: readonly LayerRule[], exclude: ReadonlySet<string> = new Set()): LayerPlan {
  const compiled = rules.map((r) => ({ layer: r.layer, matchers: r.paths.map((g) => new Minimatch(g, { dot: true })) }));
  const layerOf = new Map<string, LayerClass>();
  const byLayer = new Map<LayerClass, PlannedLayer>(LAYER_CLASSES.map((l) => [l, { layer: l, paths: [], bytes: 0, files: 0 }]));
  for (const path of keep.paths()) {
    if (path === '' || exclude.has(path)) continue;
    const abs = `/${path}`;
    const rule = compiled.find((r) => r.matchers.some((m) => m.match(abs)));
    const layer = rule?.layer ?? keep.reasonsFor(path).find((r) => r.layer)?.layer ?? 'app';
    layerOf.set(path, layer);
    const planned = byLayer.get(layer)!;
    planned.paths.push(path);
    const generated = keep.generatedContent(path);
    const entry = fs.lstat(path);
    if (generated) planned.bytes += generated.content.length;
    else if (entry?.type === 'file') planned.bytes += entry.size;
    if (entry && entry.type !== 'dir') planned.files++;
  }
  return { layers: LAYER_CLASSES.map((l) => byLayer.get(l)!).filter((l) => l.paths.length > 0), layerOf };
}

/** Every ancestor directory of the paths, parents first. */
export function withParents(paths: readonly string[]): string[] {
  const all = new Set<string>();
  for (const p of paths) {
    for (let d = dirname(p); d !== '' && !all.has(d); d = dirname(d)) all.add(d);
    all.add(p);
  }
  return [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
