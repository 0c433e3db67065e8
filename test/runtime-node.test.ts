/**
 * The Node analyser on synthetic images: which packages and files it keeps for each install
 * layout (npm lockfile v1/v2/v3, workspaces, no lockfile, yarn's hoisting, pnpm's store) and
 * what it leaves out, with the reason the audit shows.
 */
import { describe, expect, it } from 'vitest';
import { runNodeAnalyser } from '../src/analysers/node/node-analyser.js';
import { DEFAULT_NODE_SETTINGS, type NodeSettings } from '../src/analysers/node/never-runs.js';
import { parseLockfile } from '../src/analysers/node/lockfile.js';
import { parseNodeArgs } from '../src/analysers/node/node-entry.js';
import type { ContainerConfig } from '../src/image/model.js';
import { analyseRuntime, executable, file, symlink, type AnalysedImage } from './helpers/runtime-image.js';
import type { MemberSpec } from './helpers/synthetic.js';

const NODE = [file('usr/local/bin/node', executable(), 0o755)];
const json = (v: unknown): string => JSON.stringify(v, null, 2);
const pkg = (name: string, extra: Record<string, unknown> = {}): string => json({ name, version: '1.0.0', ...extra });

function nodeImage(members: MemberSpec[], config: ContainerConfig = { Cmd: ['node', 'server.js'], WorkingDir: '/app' }, settings: Partial<NodeSettings> = {}): Promise<AnalysedImage> {
  return analyseRuntime([...NODE, ...members], config, (ctx, entry, cwd) =>
    runNodeAnalyser(ctx, { entry, cwd, architecture: 'amd64', settings: { ...DEFAULT_NODE_SETTINGS, ...settings } }),
  );
}

/** An app using express (which needs "depd") with typescript as a devDependency. */
const APP = [
  file('app/server.js', "require('express')"),
  file('app/package.json', pkg('app', { dependencies: { express: '^4' }, devDependencies: { typescript: '^5' } })),
  file('app/node_modules/express/package.json', pkg('express', { main: 'index.js', dependencies: { depd: '2' } })),
  file('app/node_modules/express/index.js', 'module.exports = 1'),
  file('app/node_modules/express/Readme.md', '# express'),
  file('app/node_modules/depd/package.json', pkg('depd')),
  file('app/node_modules/depd/index.js', ''),
  file('app/node_modules/typescript/package.json', pkg('typescript')),
  file('app/node_modules/typescript/lib/tsc.js', ''),
];

describe('lockfiles', () => {
  it('reads v1 nesting and flags', () => {
    const lock = parseLockfile(json({ lockfileVersion: 1, dependencies: { a: { version: '1', dependencies: { b: { version: '2', dev: true } } }, c: { version: '1', optional: true } } }), 'x');
    expect(lock.packages).toEqual([
      { path: 'node_modules/a', dev: false, optional: false, devOptional: false },
      { path: 'node_modules/a/node_modules/b', dev: true, optional: false, devOptional: false },
      { path: 'node_modules/c', dev: false, optional: true, devOptional: false },
    ]);
  });

  it('reads v2/v3 packages with dev, devOptional and workspace links', () => {
    const lock = parseLockfile(json({ lockfileVersion: 3, packages: { '': { name: 'root' }, 'node_modules/a': { devOptional: true }, 'node_modules/w': { resolved: 'packages/w', link: true }, 'packages/w': { name: 'w' } } }), 'x');
    expect(lock.packages).toEqual([
      { path: 'node_modules/a', dev: false, optional: false, devOptional: true },
      { path: 'node_modules/w', dev: false, optional: false, devOptional: false, linkTo: 'packages/w' },
      { path: 'packages/w', dev: false, optional: false, devOptional: false },
    ]);
  });

  it('rejects a lockfile that is not JSON with the file named', () => {
    expect(() => parseLockfile('{', '/app/package-lock.json')).toThrow(/\/app\/package-lock.json is not valid JSON/);
  });
});

describe('node command line', () => {
  it('skips options and their values to find the script', () => {
    expect(parseNodeArgs(['--max-old-space-size=512', '-r', 'dotenv/config', '--env-file', '.env', 'dist/main.js', '--port', '1'])).toEqual({ script: 'dist/main.js', preloads: ['dotenv/config'], optionFiles: ['.env'], evaluates: false });
    const evaluated = parseNodeArgs(['-e', 'console.log(1)', 'x.js']);
    expect(evaluated.script).toBeUndefined();
    expect(evaluated.evaluates).toBe(true);
  });
});

describe('production dependencies', () => {
  it('without a lockfile: follows dependencies from package.json, never devDependencies', async () => {
    const r = await nodeImage(APP);
    expect(r.kept).toEqual(expect.arrayContaining(['/app/server.js', '/app/package.json', '/app/node_modules/express/index.js', '/app/node_modules/depd/index.js']));
    expect(r.kept.filter((p) => p.includes('typescript'))).toEqual([]);
    expect(r.declined('/app/node_modules/typescript/lib/tsc.js')).toMatch(/not a production dependency of \/app/);
  });

  it('with lockfile v3: dev packages stay out with the lockfile named, devOptional and optional stay in', async () => {
    const lock = { lockfileVersion: 3, packages: { '': {}, 'node_modules/express': {}, 'node_modules/depd': {}, 'node_modules/typescript': { dev: true }, 'node_modules/fsevents': { optional: true }, 'node_modules/esbuild-linux': { devOptional: true } } };
    const r = await nodeImage([...APP, file('app/package-lock.json', json(lock)), file('app/node_modules/esbuild-linux/package.json', pkg('esbuild-linux')), file('app/node_modules/esbuild-linux/bin.js', '')]);
    expect(r.kept).toContain('/app/node_modules/esbuild-linux/bin.js');
    expect(r.kept.filter((p) => p.includes('typescript'))).toEqual([]);
    expect(r.declined('/app/node_modules/typescript/lib/tsc.js')).toBe('node: devDependency (/app/package-lock.json marks it dev)');
    expect(r.warnings).toEqual([]);
  });

  it('prefers node_modules/.package-lock.json, which records what is installed', async () => {
    const hidden = { lockfileVersion: 3, packages: { 'node_modules/express': {}, 'node_modules/depd': {}, 'node_modules/typescript': { dev: true } } };
    const r = await nodeImage([...APP, file('app/package-lock.json', '{ broken'), file('app/node_modules/.package-lock.json', json(hidden))]);
    expect(r.declined('/app/node_modules/typescript/lib/tsc.js')).toMatch(/\.package-lock\.json marks it dev/);
    expect(r.warnings).toEqual([]);
  });

  it('lockfile v1: nested copies are kept where they are installed', async () => {
    const lock = { lockfileVersion: 1, dependencies: { express: { version: '4', dependencies: { depd: { version: '1' } } }, depd: { version: '2' }, typescript: { version: '5', dev: true } } };
    const r = await nodeImage([...APP, file('app/package-lock.json', json(lock)), file('app/node_modules/express/node_modules/depd/package.json', pkg('depd')), file('app/node_modules/express/node_modules/depd/old.js', '')]);
    expect(r.kept).toContain('/app/node_modules/express/node_modules/depd/old.js');
    expect(r.kept).toContain('/app/node_modules/depd/index.js');
    expect(r.kept.some((p) => p.includes('typescript'))).toBe(false);
  });

  it('workspaces: the link in node_modules and the package it points to', async () => {
    const lock = { lockfileVersion: 3, packages: { '': {}, 'node_modules/@acme/lib': { resolved: 'packages/lib', link: true }, 'packages/lib': { name: '@acme/lib' } } };
    const r = await nodeImage([
      file('app/server.js', ''),
      file('app/package.json', pkg('app', { workspaces: ['packages/*'], dependencies: { '@acme/lib': '*' } })),
      file('app/package-lock.json', json(lock)),
      file('app/packages/lib/package.json', pkg('@acme/lib', { main: 'lib.js' })),
      file('app/packages/lib/lib.js', ''),
      symlink('app/node_modules/@acme/lib', '../../packages/lib'),
    ]);
    expect(r.kept).toEqual(expect.arrayContaining(['/app/node_modules/@acme/lib', '/app/packages/lib/lib.js']));
  });

  it("yarn's hoisting: a nested copy wins over the hoisted one for the package that has it", async () => {
    const r = await nodeImage([
      ...APP.filter((m) => !m.name.startsWith('app/node_modules/depd')),
      file('app/yarn.lock', '# yarn lockfile v1'),
      file('app/node_modules/express/node_modules/depd/package.json', pkg('depd')),
      file('app/node_modules/express/node_modules/depd/index.js', ''),
      file('app/node_modules/depd/package.json', pkg('depd', { version: '1.0.0' })),
      file('app/node_modules/depd/unused.js', ''),
    ]);
    expect(r.kept).toContain('/app/node_modules/express/node_modules/depd/index.js');
    expect(r.kept).not.toContain('/app/node_modules/depd/unused.js');
  });

  it("pnpm's store: every dependant's symlink kept, dependencies found beside the real folder", async () => {
    const store = 'app/node_modules/.pnpm';
    const r = await nodeImage([
      file('app/server.js', ''),
      file('app/package.json', pkg('app', { dependencies: { express: '4' }, devDependencies: { typescript: '5' } })),
      symlink('app/node_modules/express', '.pnpm/express@4.0.0/node_modules/express'),
      symlink('app/node_modules/typescript', '.pnpm/typescript@5.0.0/node_modules/typescript'),
      file(`${store}/express@4.0.0/node_modules/express/package.json`, pkg('express', { dependencies: { depd: '2', 'body-parser': '1' } })),
      file(`${store}/express@4.0.0/node_modules/express/index.js`, ''),
      symlink(`${store}/express@4.0.0/node_modules/depd`, '../../depd@2.0.0/node_modules/depd'),
      symlink(`${store}/express@4.0.0/node_modules/body-parser`, '../../body-parser@1.0.0/node_modules/body-parser'),
      // body-parser needs depd too, through a symlink of its own.
      file(`${store}/body-parser@1.0.0/node_modules/body-parser/package.json`, pkg('body-parser', { dependencies: { depd: '2' } })),
      symlink(`${store}/body-parser@1.0.0/node_modules/depd`, '../../depd@2.0.0/node_modules/depd'),
      file(`${store}/depd@2.0.0/node_modules/depd/package.json`, pkg('depd')),
      file(`${store}/depd@2.0.0/node_modules/depd/index.js`, ''),
      file(`${store}/typescript@5.0.0/node_modules/typescript/package.json`, pkg('typescript')),
      file(`${store}/typescript@5.0.0/node_modules/typescript/tsc.js`, ''),
    ]);
    expect(r.kept).toEqual(
      expect.arrayContaining([
        '/app/node_modules/express',
        `/${store}/express@4.0.0/node_modules/express/index.js`,
        `/${store}/express@4.0.0/node_modules/depd`,
        `/${store}/body-parser@1.0.0/node_modules/depd`,
        `/${store}/depd@2.0.0/node_modules/depd/index.js`,
      ]),
    );
    expect(r.kept.filter((p) => p.includes('typescript'))).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('warns about a dependency that is not installed', async () => {
    const r = await nodeImage(APP.filter((m) => !m.name.startsWith('app/node_modules/depd')));
    expect(r.warnings).toContain('node: depd, a dependency of express, is not installed');
  });
});

describe('files node never loads', () => {
  const LIB = 'app/node_modules/lib';
  const libFiles = (manifest: Record<string, unknown>): MemberSpec[] => [
    file('app/server.js', ''),
    file('app/package.json', pkg('app', { dependencies: { lib: '1' } })),
    file(`${LIB}/package.json`, pkg('lib', manifest)),
    file(`${LIB}/index.js`, ''),
    file(`${LIB}/index.js.map`, '{}'),
    file(`${LIB}/index.d.ts`, ''),
    file(`${LIB}/util.ts`, ''),
    file(`${LIB}/util.js`, ''),
    file(`${LIB}/only.ts`, ''),
    file(`${LIB}/README.md`, ''),
    file(`${LIB}/CHANGELOG`, ''),
    file(`${LIB}/LICENSE`, ''),
    file(`${LIB}/docs/guide.html`, ''),
    file(`${LIB}/src/addon.cc`, ''),
    file(`${LIB}/build/Release/addon.node`, ''),
    file(`${LIB}/build/Release/obj.target/addon/src/addon.o`, ''),
    file(`${LIB}/prebuilds/linux-x64/lib.glibc.node`, ''),
    file(`${LIB}/prebuilds/darwin-arm64/lib.node`, ''),
    file(`${LIB}/prebuilds/win32-x64/lib.node`, ''),
  ];

  it('leaves out docs, declarations, .ts beside .js, native sources and other platforms, each with a reason', async () => {
    const r = await nodeImage(libFiles({ main: 'index.js' }));
    for (const kept of ['index.js', 'index.js.map', 'util.js', 'only.ts', 'LICENSE', 'build/Release/addon.node', 'prebuilds/linux-x64/lib.glibc.node']) expect(r.kept).toContain(`/${LIB}/${kept}`);
    const reasons: Record<string, RegExp> = {
      'README.md': /documentation/,
      CHANGELOG: /documentation/,
      'index.d.ts': /TypeScript declaration/,
      'util.ts': /beside its compiled \.js/,
      'docs/guide.html': /docs\/ of a package/,
      'src/addon.cc': /C\/C\+\+ source/,
      'build/Release/obj.target/addon/src/addon.o': /intermediate native build output/,
      'prebuilds/darwin-arm64/lib.node': /for darwin-arm64, not linux-x64/,
      'prebuilds/win32-x64/lib.node': /for win32-x64/,
    };
    for (const [path, why] of Object.entries(reasons)) {
      expect(r.kept).not.toContain(`/${LIB}/${path}`);
      expect(r.declined(`/${LIB}/${path}`)).toMatch(why);
    }
  });

  it('never leaves out what main, exports, bin or a single-file `files` entry names', async () => {
    const r = await nodeImage(libFiles({ main: 'README.md', exports: { '.': { types: './index.d.ts', default: './index.js' } }, bin: { gen: 'docs/guide.html' }, files: ['CHANGELOG', 'src/*.cc'] }));
    for (const kept of ['README.md', 'index.d.ts', 'docs/guide.html', 'CHANGELOG']) expect(r.kept).toContain(`/${LIB}/${kept}`);
    // A glob in `files` lists what npm publishes, not what runs.
    expect(r.kept).not.toContain(`/${LIB}/src/addon.cc`);
  });

  it('drops source maps only when asked, and keeps everything with pruning off', async () => {
    const maps = await nodeImage(libFiles({}), undefined, { dropSourceMaps: true });
    expect(maps.kept).not.toContain(`/${LIB}/index.js.map`);
    expect(maps.declined(`/${LIB}/index.js.map`)).toMatch(/source map/);
    const all = await nodeImage(libFiles({}), undefined, { pruneFiles: false });
    expect(all.kept).toContain(`/${LIB}/README.md`);
    expect(all.kept).toContain(`/${LIB}/prebuilds/darwin-arm64/lib.node`);
  });
});

describe('entrypoints', () => {
  it('a #!/usr/bin/env node script is the main module of its package', async () => {
    const r = await nodeImage(
      [file('usr/bin/env', executable(), 0o755), file('srv/bin/run', '#!/usr/bin/env node\n', 0o755), file('srv/package.json', pkg('srv', { dependencies: { depd: '2' } })), file('srv/node_modules/depd/package.json', pkg('depd')), file('srv/node_modules/depd/index.js', '')],
      { Entrypoint: ['/srv/bin/run'] },
    );
    expect(r.kept).toEqual(expect.arrayContaining(['/srv/bin/run', '/srv/package.json', '/srv/node_modules/depd/index.js']));
  });

  it('npm start: npm itself, sh, and the script package.json names', async () => {
    const npm = 'usr/local/lib/node_modules/npm';
    const r = await nodeImage(
      [
        file('bin/sh', executable(), 0o755),
        file(`${npm}/bin/npm-cli.js`, '#!/usr/bin/env node\n', 0o755),
        file(`${npm}/package.json`, pkg('npm')),
        file(`${npm}/node_modules/abbrev/index.js`, ''),
        symlink('usr/local/bin/npm', '../lib/node_modules/npm/bin/npm-cli.js'),
        file('usr/bin/env', executable(), 0o755),
        file('app/package.json', pkg('app', { scripts: { start: 'NODE_ENV=production node dist/main' } })),
        file('app/dist/main.js', ''),
      ],
      { Cmd: ['npm', 'start'], WorkingDir: '/app', Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] },
    );
    expect(r.kept).toEqual(expect.arrayContaining(['/bin/sh', `/${npm}/node_modules/abbrev/index.js`, '/app/dist/main.js', '/app/package.json']));
  });

  it('does nothing when node is not the entrypoint', async () => {
    const r = await nodeImage([file('usr/bin/other', executable(), 0o755), ...APP], { Cmd: ['/usr/bin/other'], WorkingDir: '/app' });
    expect(r.kept).toEqual([]);
  });
});

describe('node.trace (@vercel/nft over the image)', () => {
  it('keeps only what the entry script reaches, with nft reasons, and the addons of reached packages', async () => {
    const r = await nodeImage(
      [
        file('app/server.js', "const a = require('lib/a'); require('./local');"),
        file('app/local.js', ''),
        file('app/unused.js', ''),
        file('app/package.json', pkg('app', { dependencies: { lib: '1' } })),
        file('app/node_modules/lib/package.json', pkg('lib', { exports: { './a': { 'module-sync': './a.mjs', default: './a.js' } } })),
        file('app/node_modules/lib/a.js', ''),
        file('app/node_modules/lib/a.mjs', 'export default 1'),
        file('app/node_modules/lib/b.js', ''),
        file('app/node_modules/lib/build/Release/lib.node', ''),
        file('app/node_modules/lib/build/Release/obj.target/lib.node', ''),
      ],
      undefined,
      { trace: true },
    );
    expect(r.kept).toEqual(expect.arrayContaining(['/app/server.js', '/app/local.js', '/app/node_modules/lib/a.js', '/app/node_modules/lib/a.mjs', '/app/node_modules/lib/build/Release/lib.node']));
    expect(r.kept).not.toContain('/app/node_modules/lib/b.js');
    expect(r.kept).not.toContain('/app/unused.js');
    expect(r.kept).not.toContain('/app/node_modules/lib/build/Release/obj.target/lib.node');
    expect(r.declined('/app/node_modules/lib/b.js')).toMatch(/not reached by the @vercel\/nft trace/);
    expect(r.keep.reasonsFor('app/local.js')[0]?.why).toBe('nft: dependency from /app/server.js');
  });
});
