import { afterEach, describe, expect, it } from 'vitest';
import { dir, file, hardlink, opaque, rootFsOf, symlink, tempDir, whiteout } from './helpers/synthetic.js';

let tmp: ReturnType<typeof tempDir>;
let opened: Awaited<ReturnType<typeof rootFsOf>> | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
  tmp?.cleanup();
});

async function tree(layers: Parameters<typeof rootFsOf>[1]): Promise<{ paths: string[]; fs: Awaited<ReturnType<typeof rootFsOf>> }> {
  tmp = tempDir();
  const fs = await rootFsOf(tmp.dir, layers);
  opened = fs;
  const paths = [...fs.walk()].map((e) => (e.type === 'symlink' ? `${e.path} -> ${e.linkTarget}` : e.type === 'dir' ? `${e.path}/` : e.path));
  return { paths, fs };
}

describe('merged root filesystem', () => {
  it('applies a whiteout to a lower file only', async () => {
    const { paths } = await tree([
      [dir('etc'), file('etc/a', 'A'), file('etc/b', 'B')],
      [whiteout('etc/a'), file('etc/c', 'C')],
    ]);
    expect(paths).toEqual(['etc/', 'etc/b', 'etc/c']);
  });

  it('opaque directory hides lower entries but keeps the same layer\'s', async () => {
    const { paths } = await tree([
      [dir('d'), file('d/old1'), dir('d/sub'), file('d/sub/old2')],
      [dir('d'), file('d/new'), opaque('d')],
    ]);
    expect(paths).toEqual(['d/', 'd/new']);
  });

  it('a whiteout does not remove a file the same layer adds', async () => {
    const { paths, fs } = await tree([[file('x', '1')], [file('x', '2'), whiteout('x')]]);
    expect(paths).toEqual(['x']);
    expect((await fs.readFile('x')).toString()).toBe('2');
  });

  it('replaces a file with a directory and back', async () => {
    const { paths, fs } = await tree([[file('p', 'file')], [dir('p'), file('p/q', 'q')], [file('p', 'again')]]);
    expect(paths).toEqual(['p']);
    expect((await fs.readFile('p')).toString()).toBe('again');
  });

  it('hardlink keeps its bytes after the target is whited out', async () => {
    const { paths, fs } = await tree([[file('a', 'payload'), hardlink('b', 'a')], [whiteout('a')]]);
    expect(paths).toEqual(['b']);
    expect((await fs.readFile('b')).toString()).toBe('payload');
  });

  it('hardlink to a file in a lower layer shares its inode', async () => {
    const { fs } = await tree([[file('bin/x', 'exe', 0o755)], [hardlink('bin/y', 'bin/x')]]);
    expect(fs.lstat('bin/y')?.content?.inode).toBe(fs.lstat('bin/x')?.content?.inode);
    expect(fs.lstat('bin/y')?.mode).toBe(0o755);
  });

  it('resolves relative and absolute symlinks inside the root', async () => {
    const { fs } = await tree([[dir('usr'), dir('usr/lib'), file('usr/lib/libc.so.6', 'c'), symlink('lib', 'usr/lib'), symlink('usr/lib/libc.so', '/lib/libc.so.6')]]);
    const r = fs.resolve('/usr/lib/libc.so');
    expect(r.path).toBe('usr/lib/libc.so.6');
    expect(r.symlinks).toEqual(['usr/lib/libc.so', 'lib']);
    expect((await fs.readFile('/lib/libc.so.6')).toString()).toBe('c');
  });

  it('clamps ".." at the root when resolving', async () => {
    const { fs } = await tree([[dir('a'), file('etc-file', 'x'), symlink('a/up', '/../../etc-file')]]);
    expect(fs.resolve('a/up').path).toBe('etc-file');
  });

  it('detects symlink loops', async () => {
    const { fs } = await tree([[symlink('a', 'b'), symlink('b', 'a')]]);
    expect(fs.resolve('a').error).toBe('loop');
  });

  it('refuses members with ".." or absolute names, and symlinks out of the root', async () => {
    await expect(tree([[file('../evil', 'x')]])).rejects.toThrow(/climbs out of the root/);
    await expect(tree([[file('/abs', 'x')]])).rejects.toThrow(/absolute path/);
    await expect(tree([[dir('a'), symlink('a/s', '../../outside')]])).rejects.toThrow(/points outside the image root/);
  });
});
