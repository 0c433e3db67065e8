import type { LayerClass } from '../slim/keep-set.js';
import type { NodeSettings } from '../analysers/node/never-runs.js';
import type { PythonSettings } from '../analysers/python/python-settings.js';
import type { JavaSettings } from '../analysers/java/java-settings.js';

/**
 * A profile says what to keep for one kind of program. Built-ins live in profiles/*.yaml; a
 * user's file may `extends` one and override or append (keep/drop/layers append, the rest
 * override). Paths and globs are absolute in-image paths ("/app/**"), matched with minimatch
 * (dot: true).
 */
export interface Profile {
  name: string;
  description: string;
  /** Name of a built-in profile this one extends. */
  extends?: string;
  /** How `--profile auto` recognises the program from its resolved entrypoint. */
  detect?: ProfileDetect;
  /** Analysers to run, by name: 'elf', 'shell', 'essentials', 'node', 'python', 'java'. */
  analysers: string[];
  /** Extra roots for the analysers besides the entrypoint (paths or globs). */
  roots: string[];
  /** Globs of paths always kept (with everything below a matched directory). */
  keep: string[];
  /** Globs of paths never kept, even if an analyser asked (the audit says so). */
  drop: string[];
  /** 'scratch', 'distroless' or an image reference. */
  base: string;
  essentials: Essentials;
  /** Settings of the runtime analysers (used when the analyser is listed). */
  node: NodeSettings;
  python: PythonSettings;
  java: JavaSettings;
  /** Layer plan: the first rule whose glob matches a kept path decides its layer. */
  layers: LayerRule[];
}

export interface ProfileDetect {
  /** Globs on the resolved entrypoint program path, e.g. "/usr/bin/node*". */
  program?: string[];
  /** The kind of the entrypoint program file. */
  kind?: Array<'static-elf' | 'dynamic-elf' | 'script'>;
  /** Higher wins when several profiles match. */
  priority?: number;
}

export interface Essentials {
  caCertificates: boolean;
  tzdata: boolean;
  /** Reduce /etc/passwd and /etc/group to root, nobody and the image's user. */
  users: boolean;
  /** /tmp with mode 1777. */
  tmp: boolean;
  /** The image user's home directory. */
  home: boolean;
  /** What glibc loads at run time without a DT_NEEDED: libgcc_s, NSS modules, data files. */
  glibcRuntime: boolean;
  /** iconv's gconv modules (large; only when asked). */
  gconv: boolean;
}

export interface LayerRule {
  layer: LayerClass;
  paths: string[];
}
