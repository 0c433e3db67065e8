/**
 * The pure parts of `whittle inspect`: dive's efficiency over synthetic layer headers, the
 * per-layer counts, history matching and directory sizes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeEfficiency, userWastedRatio, type EfficiencyHeader } from '../src/inspect/efficiency.js';
import { fsTotals, largestDirectories } from '../src/inspect/directory-sizes.js';
import { historyForLayers, LayerStats, shortCreatedBy } from '../src/inspect/layer-table.js';
import { readTarEntries, type TarEntry } from '../src/tar/tar-reader.js';
import { dir, file, hardlink, opaque, rootFsOf, symlink, tarBuffer, tempDir, whiteout, type MemberSpec } from './helpers/synthetic.js';

const f = (name: string, size: number): EfficiencyHeader => ({ name, type: 'file', size });
const d = (name: string): EfficiencyHeader => ({ name: `${name}/`, type: 'dir', size: 0 });
const wh = (path: string): EfficiencyHeader => {
  const i = path.lastIndexOf('/');
  return f(i === -1 ? `.wh.${path}` : `${path.slice(0, i)}/.wh.${path.slice(i + 1)}`, 0);
};

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

describe('efficiency (dive filetree/efficiency.go)', () => {
  it('a file of N bytes added in one layer and deleted in a later one wastes exactly N bytes', () => {
    const N = 123_457;
    const r = computeEfficiency([
      [d('opt'), f('opt/big.bin', N), f('opt/keep', 1000)],
      [d('opt'), wh('opt/big.bin')],
    ]);
    expect(r.wastedBytes).toBe(N);
    expect(r.inefficiencies).toEqual([{ path: '/opt/big.bin', cumulativeSize: N, count: 2, layers: [0, 1] }]);
    // min sizes: big.bin 0 (the whiteout), keep 1000; cumulative: N + 1000.
    expect(r.efficiency).toBeCloseTo(1000 / (N + 1000), 12);
  });

  it('a file overwritten in a later layer counts both sizes as wasted', () => {
    const r = computeEfficiency([[d('etc'), f('etc/conf', 100)], [d('etc'), f('etc/conf', 300)]]);
    expect(r.wastedBytes).toBe(400);
    expect(r.inefficiencies).toEqual([{ path: '/etc/conf', cumulativeSize: 400, count: 2, layers: [0, 1] }]);
    expect(r.efficiency).toBe(100 / 400);
  });

  it('a deleted directory counts everything that was under it, as the stacked layers left it', () => {
    // /d is a leaf in layer 2 (its header alone) and in layer 3 (the whiteout), so it is seen twice.
    const r = computeEfficiency([
      [d('d'), f('d/a', 10), f('d/b', 20), d('d/sub'), f('d/sub/c', 40)],
      [d('d'), f('d/b', 25)],
      [d('d')],
      [wh('d')],
    ]);
    // The whiteout hides a (10) + b as overwritten (25) + c (40).
    const dPath = r.inefficiencies.find((i) => i.path === '/d');
    expect(dPath).toEqual({ path: '/d', cumulativeSize: 75, count: 2, layers: [2, 3] });
    expect(r.inefficiencies.find((i) => i.path === '/d/b')).toEqual({ path: '/d/b', cumulativeSize: 45, count: 2, layers: [0, 1] });
    expect(r.wastedBytes).toBe(75 + 45);
    // min: a 10, b 20, c 40, d 0; cumulative: a 10, b 45, c 40, d 75.
    expect(r.efficiency).toBe(70 / 170);
  });

  it('a directory deleted in the layer after it was filled is one appearance, as in dive', () => {
    const r = computeEfficiency([[d('tmp'), f('tmp/x', 500), f('tmp/y', 700)], [wh('tmp')]]);
    expect(r.inefficiencies).toEqual([]);
    expect(r.wastedBytes).toBe(0);
    expect(r.efficiency).toBe(1);
  });

  it("reproduces dive's own test: implicit parents are not directories, so their whiteout counts 0", () => {
    const r = computeEfficiency([
      [f('/etc/nginx/nginx.conf', 2000), f('/etc/nginx/public', 3000)],
      [f('/etc/nginx/nginx.conf', 5000), f('/etc/athing', 10000)],
      [f('/etc/.wh.nginx', 0)],
    ]);
    expect(r.efficiency).toBe(0.75);
    expect(r.inefficiencies.map((i) => [i.path, i.cumulativeSize, i.layers])).toEqual([['/etc/nginx/nginx.conf', 7000, [0, 1]]]);
  });

  it('with directory headers the same whiteout counts what the directory held', () => {
    const r = computeEfficiency([
      [d('etc'), d('etc/nginx'), f('etc/nginx/nginx.conf', 2000), f('etc/nginx/public', 3000)],
      [d('etc'), d('etc/nginx'), f('etc/nginx/nginx.conf', 5000), f('etc/athing', 10000)],
      [d('etc'), wh('etc/nginx')],
    ]);
    // /etc/nginx appears once, with 5000 + 3000.
    expect(r.efficiency).toBe((2000 + 3000 + 10000 + 8000) / (7000 + 3000 + 10000 + 8000));
    expect(r.wastedBytes).toBe(7000);
  });

  it('ignores opaque-directory markers, as dive does', () => {
    const r = computeEfficiency([[d('d'), f('d/a', 10)], [d('d'), f('d/.wh..wh..opq', 0), f('d/b', 5)]]);
    expect(r.inefficiencies).toEqual([]);
    expect(r.efficiency).toBe(1);
  });

  it('a whiteout of a path no lower layer has counts 0 and the rest of the layer still counts', () => {
    const r = computeEfficiency([[f('a', 10)], [wh('ghost'), f('z', 7), f('a', 3)]]);
    expect(r.inefficiencies).toEqual([{ path: '/a', cumulativeSize: 13, count: 2, layers: [0, 1] }]);
    expect(r.efficiency).toBe((3 + 0 + 7) / (13 + 0 + 7));
  });

  it('empty directories, symlinks and hardlinks are leaves of size 0', () => {
    const r = computeEfficiency([
      [d('empty'), { name: 'link', type: 'symlink', size: 0 }, f('x', 4), { name: 'hl', type: 'hardlink', size: 0 }],
      [d('empty'), { name: 'link', type: 'symlink', size: 0 }],
    ]);
    expect(r.inefficiencies.map((i) => [i.path, i.cumulativeSize])).toEqual([
      ['/empty', 0],
      ['/link', 0],
    ]);
    expect(r.wastedBytes).toBe(0);
    expect(r.efficiency).toBe(1);
  });

  it('an image with nothing in it scores 1', () => {
    expect(computeEfficiency([])).toEqual({ efficiency: 1, wastedBytes: 0, inefficiencies: [] });
    expect(computeEfficiency([[d('a')]]).efficiency).toBe(1);
  });

  it('orders inefficiencies by cumulative size, largest first', () => {
    const r = computeEfficiency([
      [f('small', 1), f('big', 100), f('mid', 10)],
      [f('small', 1), f('big', 100), f('mid', 10)],
    ]);
    expect(r.inefficiencies.map((i) => i.path)).toEqual(['/big', '/mid', '/small']);
    expect(r.wastedBytes).toBe(222);
  });

  it('gives the same result from real layer tars read with the tar reader', async () => {
    tmp = tempDir();
    const layers: MemberSpec[][] = [
      [dir('app'), file('app/data', 'x'.repeat(5000)), file('app/keep', 'k'.repeat(10)), symlink('app/ln', 'keep')],
      [dir('app'), whiteout('app/data'), file('app/keep', 'k'.repeat(20))],
    ];
    const headerLists: TarEntry[][] = [];
    for (const [i, members] of layers.entries()) {
      const buf = await tarBuffer(members);
      const path = join(tmp.dir, `l${i}.tar`);
      writeFileSync(path, buf);
      const entries: TarEntry[] = [];
      for await (const e of readTarEntries({ path, start: 0, size: buf.length }, `layer ${i}`)) entries.push(e);
      headerLists.push(entries);
    }
    const r = computeEfficiency(headerLists);
    expect(r.wastedBytes).toBe(5000 + 30);
    expect(r.inefficiencies.map((i) => [i.path, i.cumulativeSize])).toEqual([
      ['/app/data', 5000],
      ['/app/keep', 30],
    ]);
  });

  it("user wasted ratio is wasted bytes over every layer's bytes but the first", () => {
    expect(userWastedRatio(50, [1000, 100, 100])).toBe(0.25);
    expect(userWastedRatio(50, [1000])).toBe(0);
  });
});

describe('layer table', () => {
  it("counts a layer as Docker does: file bytes plus symlink target lengths; hardlinks and whiteouts add nothing", () => {
    const s = new LayerStats();
    s.add({ type: 'file', size: 100, linkname: '' });
    s.add({ type: 'symlink', size: 0, linkname: 'libc.so.6' });
    s.add({ type: 'symlink', size: 0, linkname: 'é' });
    s.add({ type: 'hardlink', size: 0, linkname: 'a' });
    s.add({ type: 'dir', size: 0, linkname: '' });
    expect(s.contentBytes).toBe(100);
    expect(s.size).toBe(100 + 9 + 2);
    expect(s.entries).toBe(5);
  });

  it('matches history to layers, skipping empty_layer steps', () => {
    const h = historyForLayers(
      {
        history: [
          { created_by: 'ADD rootfs' },
          { created_by: 'ENV A=1', empty_layer: true },
          { created_by: 'RUN make' },
          { created_by: 'CMD ["x"]', empty_layer: true },
        ],
      },
      3,
    );
    expect(h.map((e) => e?.created_by)).toEqual(['ADD rootfs', 'RUN make', undefined]);
    expect(historyForLayers({}, 1)).toEqual([undefined]);
  });

  it('shortens Docker history commands', () => {
    expect(shortCreatedBy('/bin/sh -c #(nop)  CMD ["/bin/sh"]')).toBe('CMD ["/bin/sh"]');
    expect(shortCreatedBy('/bin/sh -c apt-get update &&\n    apt-get install -y x')).toBe('RUN apt-get update && apt-get install -y x');
  });
});

describe('directory sizes of the merged filesystem', () => {
  it('sums recursive sizes, counts a hardlinked inode once, and leaves out what a whiteout removed', async () => {
    tmp = tempDir();
    const fs = await rootFsOf(tmp.dir, [
      [dir('usr'), dir('usr/lib'), file('usr/lib/big', 'b'.repeat(3000)), hardlink('usr/lib/big2', 'usr/lib/big'), dir('usr/bin'), file('usr/bin/tool', 't'.repeat(500))],
      [dir('var'), file('var/log', 'l'.repeat(800)), file('var/gone', 'g'.repeat(9999)), symlink('usr/bin/alias', 'tool')],
      [dir('var'), whiteout('var/gone'), dir('d'), opaque('d')],
    ]);
    try {
      expect(largestDirectories(fs, 10)).toEqual([
        { path: '/usr', bytes: 3500, files: 4 },
        { path: '/usr/lib', bytes: 3000, files: 2 },
        { path: '/var', bytes: 800, files: 1 },
        { path: '/usr/bin', bytes: 500, files: 2 },
        { path: '/d', bytes: 0, files: 0 },
      ]);
      expect(largestDirectories(fs, 2).map((x) => x.path)).toEqual(['/usr', '/usr/lib']);
      expect(fsTotals(fs)).toEqual({ files: 5, directories: 5, bytes: 4300 });
    } finally {
      await fs.close();
    }
  });
});
