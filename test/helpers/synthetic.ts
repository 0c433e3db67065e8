/**
 * Small synthetic layers and images, built in memory and written to a temp dir, for unit
 * tests. A layer is a list of tar members; anything tar-stream can write is allowed,
 * including hostile names (tar-stream writes them as given).
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, type Header } from 'tar-stream';
import { RootFs, type LayerSource } from '../../src/rootfs/rootfs.js';

export interface MemberSpec {
  name: string;
  type?: Header['type'];
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  mtime?: Date;
  pax?: Record<string, string>;
}

/** Shorthands: file('a/b', 'text'), dir('a'), symlink('a', 'target'), link('a', 'target'). */
export const file = (name: string, content: string | Buffer = '', mode = 0o644): MemberSpec => ({ name, content, mode });
export const dir = (name: string, mode = 0o755): MemberSpec => ({ name, type: 'directory', mode });
export const symlink = (name: string, linkname: string): MemberSpec => ({ name, type: 'symlink', linkname });
export const hardlink = (name: string, linkname: string): MemberSpec => ({ name, type: 'link', linkname });
export const whiteout = (path: string): MemberSpec => {
  const i = path.lastIndexOf('/');
  return file(i === -1 ? `.wh.${path}` : `${path.slice(0, i)}/.wh.${path.slice(i + 1)}`);
};
export const opaque = (dirPath: string): MemberSpec => file(`${dirPath}/.wh..wh..opq`);

/** A tar of the members, in memory. */
export async function tarBuffer(members: readonly MemberSpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const m of members) {
    const content = m.content === undefined ? undefined : Buffer.from(m.content);
    const header: Partial<Header> & { name: string } = {
      name: m.name,
      type: m.type ?? 'file',
      mode: m.mode ?? (m.type === 'directory' ? 0o755 : 0o644),
      uid: m.uid ?? 0,
      gid: m.gid ?? 0,
      mtime: m.mtime ?? new Date(0),
      linkname: m.linkname,
      pax: m.pax,
      size: content?.length ?? 0,
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (content) p.entry(header, content, cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A temp dir removed by `cleanup()`; use in afterEach/afterAll. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes each layer to a file and merges them into a RootFs. */
export async function rootFsOf(dirPath: string, layers: readonly (readonly MemberSpec[])[]): Promise<RootFs> {
  const sources: LayerSource[] = [];
  for (const [i, members] of layers.entries()) {
    const buf = await tarBuffer(members);
    const path = join(dirPath, `layer-${i}.tar`);
    writeFileSync(path, buf);
    sources.push({ range: { path, start: 0, size: buf.length }, what: `layer ${i + 1}` });
  }
  return RootFs.fromLayers(sources);
}
