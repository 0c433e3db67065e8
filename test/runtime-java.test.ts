/**
 * The Java analyser on a synthetic JDK laid out as Debian's: the run-time part is kept, the
 * development part left out with reasons, and the app's jars come from -jar (with the manifest's
 * Class-Path), -cp with wildcards, and CLASSPATH.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readJarManifest } from '../src/analysers/java/jar-manifest.js';
import { runJavaAnalyser, parseJavaArgs } from '../src/analysers/java/java-analyser.js';
import { DEFAULT_JAVA_SETTINGS } from '../src/analysers/java/java-settings.js';
import type { ContainerConfig } from '../src/image/model.js';
import { analyseRuntime, executable, file, symlink, type AnalysedImage } from './helpers/runtime-image.js';
import type { MemberSpec } from './helpers/synthetic.js';

/** A minimal zip holding one deflated META-INF/MANIFEST.MF, as `jar` writes it. */
function jarWithManifest(manifest: string): Buffer {
  const name = Buffer.from('META-INF/MANIFEST.MF');
  const data = deflateRawSync(Buffer.from(manifest));
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(manifest.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(manifest.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

const HOME = 'usr/lib/jvm/java-17-openjdk-amd64';
const JDK: MemberSpec[] = [
  file(`${HOME}/bin/java`, executable(), 0o755),
  file(`${HOME}/bin/javac`, executable(), 0o755),
  file(`${HOME}/bin/keytool`, executable(), 0o755),
  file(`${HOME}/lib/modules`, 'jimage'),
  file(`${HOME}/lib/server/libjvm.so`, ''),
  file(`${HOME}/lib/server/classes.jsa`, ''),
  file(`${HOME}/lib/server/classes_nocoops.jsa`, ''),
  file(`${HOME}/lib/libjava.so`, ''),
  file(`${HOME}/lib/src.zip`, ''),
  file(`${HOME}/lib/ct.sym`, ''),
  file(`${HOME}/jmods/java.base.jmod`, ''),
  file(`${HOME}/include/jni.h`, ''),
  file(`${HOME}/man/man1/java.1`, ''),
  file(`${HOME}/release`, 'JAVA_VERSION="17"'),
  file('etc/java-17-openjdk/security/java.security', ''),
  symlink(`${HOME}/conf/security/java.security`, '/etc/java-17-openjdk/security/java.security'),
  file('etc/ssl/certs/java/cacerts', ''),
  symlink(`${HOME}/lib/security/cacerts`, '/etc/ssl/certs/java/cacerts'),
  symlink('etc/alternatives/java', `/${HOME}/bin/java`),
  symlink('usr/bin/java', '/etc/alternatives/java'),
];

function javaImage(members: MemberSpec[], config: ContainerConfig, tools: string[] = []): Promise<AnalysedImage> {
  return analyseRuntime([...JDK, ...members], config, (ctx, entry, cwd) => runJavaAnalyser(ctx, { entry, cwd, settings: { ...DEFAULT_JAVA_SETTINGS, tools } }));
}

describe('java command line and jar manifests', () => {
  it('reads -cp, --module-path, -javaagent and -jar; CLASSPATH only without -cp', () => {
    expect(parseJavaArgs(['-Xmx1g', '-javaagent:/otel.jar=x', '-cp', 'a.jar:lib/*', 'demo.Main', '-cp', 'ignored'], 'env.jar')).toEqual({ classpath: ['a.jar', 'lib/*'], modulePath: [], agents: ['/otel.jar'] });
    expect(parseJavaArgs(['-jar', 'app.jar', 'arg'], undefined)).toMatchObject({ jar: 'app.jar', classpath: [] });
    expect(parseJavaArgs(['demo.Main'], '/cp:/more')).toMatchObject({ classpath: ['/cp', '/more'] });
  });

  it('reads a deflated manifest with continuation lines', async () => {
    const jar = jarWithManifest('Manifest-Version: 1.0\r\nMain-Class: demo.Main\r\nClass-Path: lib/a.jar lib/b\r\n .jar\r\n\r\nName: x\r\n');
    const m = await readJarManifest(async (o, l) => jar.subarray(o, o + l), jar.length);
    expect(m?.get('Main-Class')).toBe('demo.Main');
    expect(m?.get('Class-Path')).toBe('lib/a.jar lib/b.jar');
    expect(await readJarManifest(async (o, l) => Buffer.alloc(100).subarray(o, o + l), 100)).toBeUndefined();
  });
});

describe('java analyser', () => {
  it('keeps the runtime part of the JDK and leaves out the development part, with reasons', async () => {
    const r = await javaImage([file('app/app.jar', jarWithManifest('Manifest-Version: 1.0\n'))], { Cmd: ['java', '-jar', '/app/app.jar'] });
    for (const p of ['bin/java', 'lib/modules', 'lib/server/libjvm.so', 'lib/server/classes.jsa', 'lib/libjava.so', 'release', 'conf/security/java.security', 'lib/security/cacerts']) expect(r.kept).toContain(`/${HOME}/${p}`);
    // Debian's conf/ and cacerts are links into /etc; what they point to is kept too.
    expect(r.kept).toEqual(expect.arrayContaining(['/etc/java-17-openjdk/security/java.security', '/etc/ssl/certs/java/cacerts', '/app/app.jar']));
    const gone: Record<string, RegExp> = { 'bin/javac': /JDK tool/, 'bin/keytool': /JDK tool/, 'lib/src.zip': /source archive/, 'lib/ct.sym': /javac/, jmods: /jlink/, include: /JNI/, man: /manual/, 'lib/server/classes_nocoops.jsa': /over 32 GB/ };
    for (const [p, why] of Object.entries(gone)) {
      expect(r.kept).not.toContain(`/${HOME}/${p}`);
      expect(r.declined(`/${HOME}/${p}`)).toMatch(why);
    }
  });

  it('java.tools keeps a named JDK program', async () => {
    const r = await javaImage([file('app/app.jar', '')], { Cmd: ['java', '-jar', '/app/app.jar'] }, ['keytool']);
    expect(r.kept).toContain(`/${HOME}/bin/keytool`);
  });

  it("follows -jar's Class-Path and -cp wildcards, and warns about what is missing", async () => {
    const r = await javaImage(
      [
        file('app/app.jar', jarWithManifest('Manifest-Version: 1.0\nClass-Path: lib/dep.jar missing.jar\n')),
        file('app/lib/dep.jar', ''),
        file('app/lib/unused.jar', ''),
        file('srv/lib/a.jar', ''),
        file('srv/lib/b.JAR', ''),
        file('srv/lib/notes.txt', ''),
        file('srv/classes/demo/Main.class', ''),
      ],
      { Entrypoint: ['java'], Cmd: ['-jar', 'app.jar'], WorkingDir: '/app' },
    );
    expect(r.kept).toEqual(expect.arrayContaining(['/app/app.jar', '/app/lib/dep.jar']));
    expect(r.kept).not.toContain('/app/lib/unused.jar');
    expect(r.warnings.join('\n')).toMatch(/Class-Path of \/app\/app.jar: .*missing.jar is not in the image/);

    const cp = await javaImage([file('srv/lib/a.jar', ''), file('srv/lib/b.JAR', ''), file('srv/lib/notes.txt', ''), file('srv/classes/demo/Main.class', '')], { Cmd: ['java', '-cp', '/srv/lib/*:classes', 'demo.Main'], WorkingDir: '/srv' });
    expect(cp.kept).toEqual(expect.arrayContaining(['/srv/lib/a.jar', '/srv/lib/b.JAR', '/srv/classes/demo/Main.class']));
    expect(cp.kept).not.toContain('/srv/lib/notes.txt');
  });
});
