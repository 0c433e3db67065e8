import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { RootFs } from '../rootfs/rootfs.js';
import type { KeepReason, KeepSet, LayerClass } from './keep-set.js';

export interface AuditLine {
  path: string;
  type: string;
  size: number;
  kept: boolean;
  layer?: LayerClass | 'base';
  reasons?: readonly KeepReason[];
  reason?: string;
}

/** One line per path of the original image, then per path whittle wrote that it did not have. */
export function* auditLines(fs: RootFs, keep: KeepSet, dropped: ReadonlyMap<string, string>, layerOf: ReadonlyMap<string, LayerClass | 'base'>): Generator<AuditLine> {
  const seen = new Set<string>();
  for (const e of fs.walk()) {
    seen.add(e.path);
    const line = { path: `/${e.path}`, type: e.type, size: e.size };
    if (keep.has(e.path)) {
      const layer = layerOf.get(e.path);
      yield { ...line, kept: true, ...(layer ? { layer } : {}), reasons: keep.reasonsFor(e.path) };
    } else {
      yield { ...line, kept: false, reason: dropped.get(e.path) ?? keep.declinedReason(e.path) ?? (parentKept(keep, e.path) ? 'no rule kept it' : 'no rule kept it or its directory') };
    }
  }
  for (const path of keep.paths()) {
    if (seen.has(path) || path === '') continue;
    const generated = keep.generatedContent(path);
    const layer = layerOf.get(path);
    yield { path: `/${path}`, type: generated ? 'file' : 'dir', size: generated?.content.length ?? 0, kept: true, ...(layer ? { layer } : {}), reasons: keep.reasonsFor(path) };
  }
}

function parentKept(keep: KeepSet, path: string): boolean {
  const i = path.lastIndexOf('/');
  return i > 0 && keep.has(path.slice(0, i));
}

/** Writes the audit as JSON lines, streamed. */
export async function writeAudit(file: string, lines: Iterable<AuditLine>): Promise<void> {
  const out = createWriteStream(file);
  for (const line of lines) {
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
}
