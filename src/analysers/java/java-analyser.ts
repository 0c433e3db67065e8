import { basename, cleanPath, dirname, joinPath } from '../../rootfs/paths.js';
import type { AnalysisContext, KeepReason } from '../analyser.js';
import type { ProgramStep, ResolvedEntrypoint } from '../entrypoint.js';
import { keepResolved, keepTreeExcept } from '../keep-path.js';
import { readJarManifest } from './jar-manifest.js';
import type { JavaSettings } from './java-settings.js';

export interface JavaAnalysisInput {
  entry: ResolvedEntrypoint;
  cwd: string;
  settings: JavaSettings;
}

/** Parts of a JDK that a running program never uses. */
const JDK_DEVELOPMENT: Record<string, string> = {
  jmods: 'jmods/ (input of jlink, not of java)',
  include: 'C headers for JNI builds',
  man: 'manual pages',
  demo: 'demo programs',
  sample: 'sample programs',
  'src.zip': 'the JDK source archive',
  'lib/src.zip': 'the JDK source archive',
  'lib/ct.sym': "javac's symbol tables",
  // The JVM maps it only when compressed oops are off (heaps over 32 GB); without it such a JVM
  // starts without class data sharing, a little slower, and otherwise runs the same.
  'lib/server/classes_nocoops.jsa': 'the class-data archive for heaps over 32 GB (compressed oops off)',
};

export function isJavaLauncher(step: ProgramStep): boolean {
  return step.kind === 'dynamic-elf' && basename(step.path) === 'java';
}

/** What java was asked to run: classpath entries, -jar, agents, module path. */
export interface JavaArgs {
  classpath: string[];
  jar?: string;
  modulePath: string[];
  agents: string[];
}

export function parseJavaArgs(args: readonly string[], classpathEnv: string | undefined): JavaArgs {
  const out: JavaArgs = { classpath: [], modulePath: [], agents: [] };
  let sawClasspath = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-cp' || a === '-classpath' || a === '--class-path') {
      out.classpath.push(...(args[++i] ?? '').split(':'));
      sawClasspath = true;
    } else if (a.startsWith('--class-path=')) {
      out.classpath.push(...a.slice(13).split(':'));
      sawClasspath = true;
    } else if (a === '-p' || a === '--module-path') out.modulePath.push(...(args[++i] ?? '').split(':'));
    else if (a.startsWith('--module-path=')) out.modulePath.push(...a.slice(14).split(':'));
    else if (a.startsWith('-javaagent:')) out.agents.push(a.slice(11).split('=')[0]!);
    else if (a === '-jar') {
      out.jar = args[i + 1];
      break;
    } else if (a === '-m' || a === '--module' || !a.startsWith('-')) break; // the main class or module; the rest are its arguments
  }
  // CLASSPATH counts only when no -cp was given (and -jar ignores both).
  if (!sawClasspath && classpathEnv) out.classpath.push(...classpathEnv.split(':'));
  return { ...out, classpath: out.classpath.filter(Boolean), modulePath: out.modulePath.filter(Boolean) };
}

/**
 * Keeps a JDK's run-time part (the java launcher, lib/ with lib/modules and libjvm.so, conf/,
 * release, legal/) and leaves out javac and the other tools, jmods, headers, sources and
 * manuals. Keeps the app's jars from -jar (with the manifest's Class-Path), -cp/CLASSPATH
 * (`dir/*` wildcards too), --module-path and -javaagent.
 */
export async function runJavaAnalyser(ctx: AnalysisContext, input: JavaAnalysisInput): Promise<void> {
  const at = input.entry.chain.findIndex(isJavaLauncher);
  if (at < 0) return;
  const java = input.entry.chain[at]!;
  const home = dirname(dirname(java.path));
  const tools = new Set(['java', ...input.settings.tools]);
  keepTreeExcept(ctx, home, { by: 'java', why: `Java runtime in /${home}`, layer: 'runtime' }, (rel) => {
    if (JDK_DEVELOPMENT[rel]) return `java: ${JDK_DEVELOPMENT[rel]}`;
    if (rel.startsWith('bin/') && !tools.has(rel.slice(4))) return `java: ${rel.slice(4)} is a JDK tool; only java runs (java.tools keeps others)`;
    return undefined;
  });
  // Debian's java is /usr/bin/java -> /etc/alternatives/java -> the JDK's; those links are kept by the entrypoint.
  const cwd = cleanPath(input.cwd);
  const args = at === 0 ? parseJavaArgs(input.entry.argv.slice(1), ctx.env.get('CLASSPATH')) : { classpath: [], modulePath: [], agents: [] };
  const abs = (p: string): string => (p.startsWith('/') ? cleanPath(p) : cleanPath(joinPath(cwd, p)));
  const keepEntry = async (p: string, why: string, depth = 0): Promise<void> => {
    const reason: KeepReason = { by: 'java', why, layer: 'app' };
    if (p.endsWith('/*')) {
      const dir = abs(p.slice(0, -2));
      const jars = ctx.fs.list(dir).filter((e) => /\.jar$/i.test(e.path));
      if (jars.length === 0) ctx.warn(`java: ${p} matches no jar`);
      for (const j of jars) await keepEntry(`/${j.path}`, why, depth);
      return;
    }
    const r = ctx.fs.resolve(abs(p));
    if (!r.entry) {
      ctx.warn(`java: ${why}: ${p} is not in the image`);
      return;
    }
    if (r.entry.type === 'dir') {
      keepTreeExcept(ctx, abs(p), reason, () => undefined);
      return;
    }
    keepResolved(ctx, abs(p), reason);
    if (depth < 8 && /\.jar$/i.test(r.path)) {
      const manifest = await readJarManifest((o, l) => ctx.fs.readContent(r.entry!, o, l), r.entry.size).catch(() => undefined);
      // Class-Path entries are URLs relative to the jar's folder.
      for (const ref of manifest?.get('Class-Path')?.split(/\s+/).filter(Boolean) ?? []) {
        await keepEntry(joinPath(`/${dirname(r.path)}`, decodeURIComponent(ref)), `Class-Path of /${r.path}`, depth + 1);
      }
    }
  };
  if (args.jar) await keepEntry(args.jar, 'the jar java -jar runs');
  for (const c of args.classpath) await keepEntry(c, 'on the classpath');
  for (const m of args.modulePath) await keepEntry(m, 'on the module path');
  for (const a of args.agents) await keepEntry(a, 'a Java agent (-javaagent)');
}
