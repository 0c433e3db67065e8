/**
 * The ELF closure follows ld.so's rules, on synthetic images: one test per search rule.
 * Nothing is executed; ELF files are built in memory (test/helpers/elf-image.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseElf } from '../src/analysers/elf/elf-parser.js';
import { ElfResolver, type ElfClosure } from '../src/analysers/elf/elf-closure.js';
import { createElfAnalyser } from '../src/analysers/elf/elf-analyser.js';
import { KeepSet } from '../src/slim/keep-set.js';
import { elfFile, ldSoCache, type ElfSpec } from './helpers/elf-image.js';
import { dir, file, rootFsOf, symlink, tempDir, type MemberSpec } from './helpers/synthetic.js';

const LOADER = '/lib64/ld-linux-x86-64.so.2';
const ML = 'lib/x86_64-linux-gnu';
let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const exe = (spec: ElfSpec): Buffer => elfFile({ type: 2, interp: LOADER, ...spec });
const lib = (spec: ElfSpec = {}): Buffer => elfFile({ type: 3, ...spec });

/** A Debian-like usr-merged root with the glibc loader and libc, plus the test's own files. */
function glibcRoot(extra: MemberSpec[]): MemberSpec[] {
  return [
    dir('usr'),
    dir('usr/lib'),
    dir(`usr/${ML}`),
    symlink('lib', 'usr/lib'),
    symlink('lib64', 'usr/lib64'),
    dir('usr/lib64'),
    file(`usr/${ML}/ld-linux-x86-64.so.2`, lib(), 0o755),
    symlink('usr/lib64/ld-linux-x86-64.so.2', `/${ML}/ld-linux-x86-64.so.2`),
    file(`usr/${ML}/libc.so.6`, lib({ soname: 'libc.so.6' })),
    dir('etc'),
    ...extra,
  ];
}

async function closure(members: MemberSpec[], root: string, env: Record<string, string> = {}): Promise<ElfClosure & { kept: string[] }> {
  tmp = tempDir();
  const fs = await rootFsOf(tmp.dir, [members]);
  const r = new ElfResolver(fs, new Map(Object.entries(env)));
  await r.add(root, 'test root');
  const c = r.result();
  await fs.close();
  return { ...c, kept: c.keep.map((k) => k.path).sort() };
}

describe('ELF parsing', () => {
  it.each([
    [64, false],
    [64, true],
    [32, false],
    [32, true],
  ] as const)('reads ELF%i %s', async (bits, bigEndian) => {
    const bytes = elfFile({ bits, bigEndian, machine: 8, interp: '/lib/ld.so.1', needed: ['liba.so', 'libb.so'], rpath: '/r1:/r2', runpath: '$ORIGIN/lib', soname: 'libx.so' });
    const info = await parseElf(async (o, l) => bytes.subarray(o, o + l), 'x');
    expect(info).toMatchObject({ class: bits, littleEndian: !bigEndian, machine: 8, interpreter: '/lib/ld.so.1', needed: ['liba.so', 'libb.so'], rpath: ['/r1', '/r2'], runpath: ['$ORIGIN/lib'], soname: 'libx.so', isStatic: false });
  });

  it('calls a file without PT_INTERP and DT_NEEDED static', async () => {
    const bytes = elfFile({ type: 2 });
    expect((await parseElf(async (o, l) => bytes.subarray(o, o + l), 'x')).isStatic).toBe(true);
  });
});

describe('glibc search order', () => {
  it('keeps the interpreter at its PT_INTERP path with every symlink on the way, and libc through the default dirs', async () => {
    const c = await closure(glibcRoot([dir('app'), file('app/run', exe({ needed: ['libc.so.6'] }), 0o755)]), '/app/run');
    expect(c.kept).toEqual(['app/run', 'lib', 'lib64', `usr/${ML}/ld-linux-x86-64.so.2`, `usr/${ML}/libc.so.6`, 'usr/lib64/ld-linux-x86-64.so.2']);
    expect(c.missing).toEqual([]);
  });

  it('inherits DT_RPATH from the loaders when the object has no DT_RUNPATH', async () => {
    const c = await closure(
      glibcRoot([dir('opt'), dir('opt/a'), file('app', exe({ rpath: '/opt/a', needed: ['liba.so'] })), file('opt/a/liba.so', lib({ needed: ['libb.so'] })), file('opt/a/libb.so', lib())]),
      '/app',
    );
    expect(c.kept).toContain('opt/a/libb.so');
    expect(c.missing).toEqual([]);
  });

  it('does not inherit DT_RUNPATH', async () => {
    const c = await closure(
      glibcRoot([dir('opt'), dir('opt/r'), file('app', exe({ runpath: '/opt/r', needed: ['liba.so'] })), file('opt/r/liba.so', lib({ needed: ['libb.so'] })), file('opt/r/libb.so', lib())]),
      '/app',
    );
    expect(c.kept).toContain('opt/r/liba.so');
    expect(c.kept).not.toContain('opt/r/libb.so');
    expect(c.missing).toEqual([expect.objectContaining({ name: 'libb.so', neededBy: '/opt/r/liba.so' })]);
  });

  it('ignores an object\'s DT_RPATH when it has DT_RUNPATH', async () => {
    const c = await closure(glibcRoot([dir('x'), dir('y'), file('app', exe({ rpath: '/x', runpath: '/y', needed: ['libq.so'] })), file('x/libq.so', lib()), file('y/libq.so', lib())]), '/app');
    expect(c.kept).toContain('y/libq.so');
    expect(c.kept).not.toContain('x/libq.so');
  });

  it('searches DT_RPATH before LD_LIBRARY_PATH, and LD_LIBRARY_PATH before DT_RUNPATH', async () => {
    const files = (spec: ElfSpec): MemberSpec[] => glibcRoot([dir('rp'), dir('ld'), dir('run'), file('app', exe({ ...spec, needed: ['libz.so'] })), file('rp/libz.so', lib()), file('ld/libz.so', lib()), file('run/libz.so', lib())]);
    expect((await closure(files({ rpath: '/rp' }), '/app', { LD_LIBRARY_PATH: '/ld' })).kept).toContain('rp/libz.so');
    expect((await closure(files({ runpath: '/run' }), '/app', { LD_LIBRARY_PATH: '/ld' })).kept).toContain('ld/libz.so');
    expect((await closure(files({ runpath: '/run' }), '/app')).kept).toContain('run/libz.so');
  });

  it('expands $ORIGIN and ${ORIGIN} from the real path of the object', async () => {
    const members = (runpath: string): MemberSpec[] =>
      glibcRoot([dir('opt'), dir('opt/app'), dir('opt/app/bin'), dir('opt/app/lib'), file('opt/app/bin/prog', exe({ runpath, needed: ['libgreet.so'] })), file('opt/app/lib/libgreet.so', lib()), dir('usr/bin'), symlink('usr/bin/prog', '/opt/app/bin/prog')]);
    for (const runpath of ['$ORIGIN/../lib', '${ORIGIN}/../lib']) {
      const c = await closure(members(runpath), '/usr/bin/prog');
      expect(c.kept).toEqual(expect.arrayContaining(['usr/bin/prog', 'opt/app/bin/prog', 'opt/app/lib/libgreet.so']));
      expect(c.missing).toEqual([]);
    }
  });

  it('expands $LIB and $PLATFORM as Debian\'s loader does', async () => {
    const c = await closure(glibcRoot([dir('opt'), dir('opt/x86_64'), dir(`opt/x86_64/${ML.split('/')[0]}`), dir(`opt/x86_64/${ML}`), file('app', exe({ runpath: '/opt/$PLATFORM/$LIB', needed: ['libp.so'] })), file(`opt/x86_64/${ML}/libp.so`, lib())]), '/app');
    expect(c.kept).toContain(`opt/x86_64/${ML}/libp.so`);
  });

  it('reads /etc/ld.so.conf and the files it includes', async () => {
    const c = await closure(
      glibcRoot([dir('etc/ld.so.conf.d'), file('etc/ld.so.conf', 'include /etc/ld.so.conf.d/*.conf\n'), file('etc/ld.so.conf.d/x.conf', '# mine\n/opt/conflib\n'), dir('opt'), dir('opt/conflib'), file('app', exe({ needed: ['libconf.so'] })), file('opt/conflib/libconf.so', lib())]),
      '/app',
    );
    expect(c.kept).toContain('opt/conflib/libconf.so');
  });

  it('uses /etc/ld.so.cache', async () => {
    const c = await closure(glibcRoot([file('etc/ld.so.cache', ldSoCache([['libcached.so.1', '/weird/place/libcached.so.1']])), dir('weird'), dir('weird/place'), file('weird/place/libcached.so.1', lib()), file('app', exe({ needed: ['libcached.so.1'] }))]), '/app');
    expect(c.kept).toContain('weird/place/libcached.so.1');
  });

  it('skips a library of another class or machine and keeps looking', async () => {
    const c = await closure(glibcRoot([dir('first'), dir('second'), file('app', exe({ runpath: '/first:/second', needed: ['libm1.so'] })), file('first/libm1.so', lib({ bits: 32, machine: 3 })), file('second/libm1.so', lib())]), '/app');
    expect(c.kept).toContain('second/libm1.so');
    expect(c.kept).not.toContain('first/libm1.so');
  });

  it('opens a DT_NEEDED with a slash as given', async () => {
    const c = await closure(glibcRoot([dir('opt'), dir('opt/abs'), file('app', exe({ needed: ['/opt/abs/libabs.so'] })), file('opt/abs/libabs.so', lib())]), '/app');
    expect(c.kept).toContain('opt/abs/libabs.so');
  });

  it('keeps usr-merge symlinks as symlinks, with their targets', async () => {
    const c = await closure(glibcRoot([file('app', exe({ runpath: `/${ML}`, needed: ['libc.so.6'] }))]), '/app');
    expect(c.kept).toEqual(expect.arrayContaining(['lib', 'lib64', `usr/${ML}/libc.so.6`]));
  });

  it('reports a library it cannot find, with where it looked', async () => {
    const c = await closure(glibcRoot([file('app', exe({ runpath: '/nowhere', needed: ['libnope.so'] }))]), '/app');
    expect(c.missing).toEqual([{ name: 'libnope.so', neededBy: '/app', searched: ['/nowhere'] }]);
  });
});

describe('musl', () => {
  const MUSL = '/lib/ld-musl-x86_64.so.1';
  const muslRoot = (extra: MemberSpec[]): MemberSpec[] => [dir('lib'), file('lib/ld-musl-x86_64.so.1', lib(), 0o755), dir('etc'), ...extra];

  it('resolves libc.so to the loader itself and uses the path file', async () => {
    const c = await closure(
      muslRoot([file('etc/ld-musl-x86_64.path', '/opt/one:/opt/two\n'), dir('opt'), dir('opt/two'), file('opt/two/libfoo.so', lib()), file('app', elfFile({ type: 2, interp: MUSL, needed: ['libc.so', 'libfoo.so'] }))]),
      '/app',
    );
    expect(c.libc).toBe('musl');
    expect(c.kept).toEqual(['app', 'etc/ld-musl-x86_64.path', 'lib/ld-musl-x86_64.so.1', 'opt/two/libfoo.so']);
    expect(c.missing).toEqual([]);
  });

  it('falls back to /lib:/usr/local/lib:/usr/lib without a path file', async () => {
    const c = await closure(muslRoot([dir('usr'), dir('usr/local'), dir('usr/local/lib'), file('usr/local/lib/libbar.so', lib()), file('app', elfFile({ type: 2, interp: MUSL, needed: ['libbar.so'] }))]), '/app');
    expect(c.kept).toContain('usr/local/lib/libbar.so');
  });
});

describe('what glibc loads at run time', () => {
  it('adds libgcc_s, the NSS modules nsswitch.conf names that are not built in, and glibc data files', async () => {
    tmp = tempDir();
    const fs = await rootFsOf(tmp.dir, [
      glibcRoot([
        file('app', exe({ needed: ['libc.so.6'] })),
        file(`usr/${ML}/libgcc_s.so.1`, lib()),
        file(`usr/${ML}/libnss_compat.so.2`, lib({ needed: ['libc.so.6'] })),
        file(`usr/${ML}/libnss_files.so.2`, lib()),
        file('etc/nsswitch.conf', 'passwd: files compat\nhosts: files dns\nnetgroup: nis\n'),
        file('etc/services', 'http 80/tcp\n'),
        dir('var'),
        dir('var/lib'),
        dir('var/lib/dpkg'),
        file('var/lib/dpkg/status', 'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n\n'),
      ]),
    ]);
    const keep = new KeepSet();
    const warnings: string[] = [];
    await createElfAnalyser({ glibcRuntime: true, gconv: false }).run({ fs, config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, env: new Map(), keep, warn: (m) => warnings.push(m) }, ['/app']);
    const kept = keep.paths();
    expect(kept).toEqual(expect.arrayContaining([`usr/${ML}/libgcc_s.so.1`, `usr/${ML}/libnss_compat.so.2`, 'etc/nsswitch.conf', 'etc/services']));
    // glibc 2.36 has files and dns built in.
    expect(kept).not.toContain(`usr/${ML}/libnss_files.so.2`);
    expect(keep.reasonsFor(`usr/${ML}/libnss_compat.so.2`)[0]!.why).toMatch(/passwd: files compat/);
    await fs.close();
  });
});
