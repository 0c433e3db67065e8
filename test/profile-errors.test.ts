/** Profiles: built-ins load and validate; a broken profile's error names the file, line and field. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError, NotFoundError } from '../src/errors.js';
import { loadBuiltinProfiles, loadProfile } from '../src/profiles/load-profile.js';
import { applyProfileOverrides } from '../src/profiles/profile-overrides.js';
import { UsageError } from '../src/errors.js';
import { tempDir } from './helpers/synthetic.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function profileFile(name: string, text: string): string {
  const p = join(tmp.dir, name);
  writeFileSync(p, text);
  return p;
}

describe('built-in profiles', () => {
  it('all load, and every one but base extends base', async () => {
    const all = await loadBuiltinProfiles();
    expect(all.map((p) => p.name)).toEqual(expect.arrayContaining(['base', 'static-elf', 'dynamic-elf', 'shell-script', 'node', 'python', 'java']));
    for (const p of all) {
      expect(p.analysers).toContain('elf');
      expect(p.layers.length).toBeGreaterThan(0);
    }
    expect((await loadProfile('static-elf')).essentials.tzdata).toBe(false);
    expect((await loadProfile('dynamic-elf')).essentials.tzdata).toBe(true);
  });
});

describe('runtime profiles', () => {
  it('each runs its analyser and is detected by program before kind', async () => {
    for (const name of ['node', 'python', 'java']) {
      const p = await loadProfile(name);
      expect(p.analysers).toContain(name);
      expect(p.detect?.program?.length).toBeGreaterThan(0);
    }
  });

  it('a user profile sets runtime settings; --set overrides one and rejects what is not a setting', async () => {
    const p = await loadProfile(profileFile('n.yaml', 'name: n\nextends: node\nnode:\n  dropSourceMaps: true\npython:\n  stdlibExclude: ["test"]\n'));
    expect(p.node).toEqual({ pruneFiles: true, dropSourceMaps: true, trace: false });
    expect(p.python.stdlibExclude).toEqual(['test']);
    const set = applyProfileOverrides(p, ['node.trace=true', 'java.tools=keytool,jcmd', 'essentials.gconv=true']);
    expect(set.node.trace).toBe(true);
    expect(set.java.tools).toEqual(['keytool', 'jcmd']);
    expect(set.essentials.gconv).toBe(true);
    expect(p.node.trace).toBe(false);
    for (const [bad, message] of [
      ['node.trace=yes', /node\.trace is true or false/],
      ['node.nope=1', /node has no setting nope \(it has pruneFiles, dropSourceMaps, trace\)/],
      ['ruby.x=1', /ruby is not one of essentials, node, python, java/],
      ['trace', /expected SECTION\.KEY=VALUE/],
    ] as const) {
      expect(() => applyProfileOverrides(p, [bad])).toThrow(UsageError);
      expect(() => applyProfileOverrides(p, [bad])).toThrow(message);
    }
  });
});

describe('a user profile', () => {
  it('extends a built-in: lists append, scalars override', async () => {
    const p = await loadProfile(
      profileFile('mine.yaml', 'name: mine\nextends: dynamic-elf\nbase: scratch\nkeep: ["/srv/**"]\ndrop: ["/usr/share/doc/**"]\nessentials:\n  tzdata: false\nlayers:\n  - layer: deps\n    paths: ["/srv/vendor/**"]\n'),
    );
    expect(p.base).toBe('scratch');
    expect(p.keep).toEqual(['/srv/**']);
    expect(p.essentials.tzdata).toBe(false);
    expect(p.essentials.caCertificates).toBe(true);
    // The child's layer rules come first: the first match decides.
    expect(p.layers[0]).toEqual({ layer: 'deps', paths: ['/srv/vendor/**'] });
    expect(p.detect?.kind).toEqual(['dynamic-elf']);
  });

  it.each([
    ['a value outside the enum', 'name: bad\nlayers:\n  - layer: os\n    paths: ["/a"]\n  - layer: vendor\n    paths: ["/b"]\n', /bad1\.yaml:5: layers\[1\]\.layer must be one of os, runtime, deps, app/],
    ['an unknown field', 'name: bad\nkeep: ["/a"]\nkeeep: ["/b"]\n', /bad2\.yaml:3: keeep is not a profile field/],
    ['a wrong type', 'name: bad\nessentials:\n  tzdata: "no"\n', /bad3\.yaml:3: essentials\.tzdata must be boolean/],
    ['YAML that does not parse', 'name: bad\nkeep: [\n', /bad4\.yaml:\d+: /],
  ])('with %s names the file, line and field', async (_what, text, message) => {
    const n = ['a value outside the enum', 'an unknown field', 'a wrong type', 'YAML that does not parse'].indexOf(_what) + 1;
    const err = await loadProfile(profileFile(`bad${n}.yaml`, text)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('an unknown built-in name is not found', async () => {
    await expect(loadProfile('no-such-profile')).rejects.toThrow(NotFoundError);
  });
});
