import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { BadInputError, NotFoundError } from '../errors.js';
import type { Essentials, Profile } from './profile.js';
import { DEFAULT_NODE_SETTINGS, type NodeSettings } from '../analysers/node/never-runs.js';
import { DEFAULT_PYTHON_SETTINGS, type PythonSettings } from '../analysers/python/python-settings.js';
import { DEFAULT_JAVA_SETTINGS, type JavaSettings } from '../analysers/java/java-settings.js';

/** The package root: profiles/ and schema/ sit beside src/ and dist/. */
const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_PROFILE_DIR = join(PACKAGE_ROOT, 'profiles');
const SCHEMA_PATH = join(PACKAGE_ROOT, 'schema', 'profile.schema.json');

type RawProfile = Partial<Omit<Profile, 'essentials' | 'node' | 'python' | 'java'>> & {
  name: string;
  essentials?: Partial<Essentials>;
  node?: Partial<NodeSettings>;
  python?: Partial<PythonSettings>;
  java?: Partial<JavaSettings>;
};

let validator: ReturnType<Ajv['compile']> | undefined;
async function validate(): Promise<ReturnType<Ajv['compile']>> {
  if (!validator) {
    const schema = JSON.parse(await readFile(SCHEMA_PATH, 'utf8')) as object;
    validator = new Ajv({ allErrors: false, strict: false }).compile(schema);
  }
  return validator;
}

/** Parses and validates one profile file; errors name the file, line and field. */
export async function readProfileFile(file: string, shownAs = file): Promise<RawProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotFoundError(`profile ${shownAs}: no such file`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw new BadInputError(`${shownAs}:${line}: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS() as unknown;
  const check = await validate();
  if (!check(value)) {
    const err = check.errors![0]!;
    const path = instancePath(err);
    const node = doc.getIn(path, true);
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    const line = lines.linePos(offset).line;
    throw new BadInputError(`${shownAs}:${line}: ${describeField(path, err)}`);
  }
  return value as RawProfile;
}

function instancePath(err: ErrorObject): Array<string | number> {
  const parts = err.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (err.keyword === 'additionalProperties') parts.push(String((err.params as { additionalProperty: string }).additionalProperty));
  return parts;
}

function describeField(path: Array<string | number>, err: ErrorObject): string {
  const field = path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '') || '(top level)';
  switch (err.keyword) {
    case 'additionalProperties':
      return `${field} is not a profile field`;
    case 'enum':
      return `${field} must be one of ${((err.params as { allowedValues: unknown[] }).allowedValues).join(', ')}`;
    case 'required':
      return `${field === '(top level)' ? '' : `${field}.`}${(err.params as { missingProperty: string }).missingProperty} is required`;
    default:
      return `${field} ${err.message ?? 'is invalid'}`;
  }
}

const DEFAULT_ESSENTIALS: Essentials = { caCertificates: true, tzdata: true, users: true, tmp: true, home: true, glibcRuntime: true, gconv: false };

function merge(parent: Profile, child: RawProfile): Profile {
  const union = (a: readonly string[], b: readonly string[] | undefined): string[] => [...new Set([...a, ...(b ?? [])])];
  return {
    name: child.name,
    description: child.description ?? parent.description,
    ...(child.extends ? { extends: child.extends } : {}),
    ...(child.detect ?? parent.detect ? { detect: child.detect ?? parent.detect } : {}),
    analysers: union(parent.analysers, child.analysers),
    roots: union(parent.roots, child.roots),
    keep: union(parent.keep, child.keep),
    drop: union(parent.drop, child.drop),
    base: child.base ?? parent.base,
    essentials: { ...parent.essentials, ...child.essentials },
    node: { ...parent.node, ...child.node },
    python: { ...parent.python, ...child.python },
    java: { ...parent.java, ...child.java },
    // A child's rules come first: the first matching rule decides.
    layers: [...(child.layers ?? []), ...parent.layers],
  };
}

function complete(raw: RawProfile): Profile {
  return {
    name: raw.name,
    description: raw.description ?? '',
    ...(raw.detect ? { detect: raw.detect } : {}),
    analysers: raw.analysers ?? ['entrypoint', 'shell', 'elf', 'essentials'],
    roots: raw.roots ?? [],
    keep: raw.keep ?? [],
    drop: raw.drop ?? [],
    base: raw.base ?? 'distroless',
    essentials: { ...DEFAULT_ESSENTIALS, ...raw.essentials },
    node: { ...DEFAULT_NODE_SETTINGS, ...raw.node },
    python: { ...DEFAULT_PYTHON_SETTINGS, ...raw.python },
    java: { ...DEFAULT_JAVA_SETTINGS, ...raw.java },
    layers: raw.layers ?? [],
  };
}

/** A built-in profile by name, or a user's profile file by path (which may extend a built-in). */
export async function loadProfile(nameOrPath: string, depth = 0): Promise<Profile> {
  if (depth > 8) throw new BadInputError(`profile ${nameOrPath}: extends goes around in a circle`);
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml');
  if (!isPath && !(await builtinNames()).includes(nameOrPath)) {
    throw new NotFoundError(`no built-in profile named ${JSON.stringify(nameOrPath)} (whittle profiles lists them; a file path works too)`);
  }
  const file = isPath ? nameOrPath : join(BUILTIN_PROFILE_DIR, `${nameOrPath}.yaml`);
  const raw = await readProfileFile(file, isPath ? nameOrPath : `profiles/${nameOrPath}.yaml`);
  if (!raw.extends) return complete(raw);
  return merge(await loadProfile(raw.extends, depth + 1), raw);
}

async function builtinNames(): Promise<string[]> {
  return (await readdir(BUILTIN_PROFILE_DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

export async function loadBuiltinProfiles(): Promise<Profile[]> {
  return Promise.all((await builtinNames()).map((n) => loadProfile(n)));
}
