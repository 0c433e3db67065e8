/**
 * Synthetic image archives for transport tests, laid out as Docker and the OCI spec lay them out:
 *  - legacySaveTar: `docker save` up to Docker 24 (moby image/tarexport/save.go): <v1id>/{VERSION,json,layer.tar},
 *    <config hex>.json, manifest.json, repositories; a diff ID saved twice is a layer.tar symlink.
 *  - dockerOciSaveTar: `docker save` from Docker 25 (same file, OCI branch): blobs/sha256/* (layers
 *    named by diff ID, config, legacy v1 layer JSON, the OCI manifest), index.json whose entries carry
 *    io.containerd.image.name and org.opencontainers.image.ref.name, manifest.json pointing into
 *    blobs/sha256/, oci-layout, repositories.
 *  - ociLayoutFiles: an OCI image layout, with nested indexes for platform tests.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarBuffer, type MemberSpec } from './synthetic.js';

export const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
export const hex = (digest: string): string => digest.slice('sha256:'.length);

export interface LayerBlob {
  /** The uncompressed tar. */
  tar: Buffer;
  diffId: string;
  /** The blob as stored (gzip or not). */
  blob: Buffer;
  digest: string;
  gzip: boolean;
}

export async function makeLayer(members: readonly MemberSpec[], gzip = false): Promise<LayerBlob> {
  const tar = await tarBuffer(members);
  const blob = gzip ? gzipSync(tar) : tar;
  return { tar, diffId: sha256(tar), blob, digest: sha256(blob), gzip };
}

export interface ImageSpec {
  layers: readonly LayerBlob[];
  repoTags?: readonly string[];
  os?: string;
  architecture?: string;
  variant?: string;
  /** The `config` object (Env, Cmd, ...). */
  config?: Record<string, unknown>;
}

/** The image config bytes, as Docker writes them (compact JSON). */
export function configBytes(spec: ImageSpec): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? 'amd64',
      ...(spec.variant ? { variant: spec.variant } : {}),
      config: spec.config ?? { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
      created: '2024-01-01T00:00:00Z',
      history: spec.layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `step ${i + 1}` })),
      os: spec.os ?? 'linux',
      rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    }),
  );
}

/** A file member of an outer archive. */
const member = (name: string, content: Buffer | string): MemberSpec => ({ name, content: Buffer.from(content), mode: 0o644 });
const dirMember = (name: string): MemberSpec => ({ name, type: 'directory', mode: 0o755 });

/** Docker's legacy per-layer ID: derived from the chain below it, so not the diff ID. */
function v1Id(diffIds: readonly string[]): string {
  return hex(sha256(`v1 ${diffIds.join(' ')}`));
}

function repositories(images: readonly ImageSpec[], topOf: (spec: ImageSpec) => string): Buffer | undefined {
  const repos: Record<string, Record<string, string>> = {};
  for (const spec of images) {
    for (const t of spec.repoTags ?? []) {
      const i = t.lastIndexOf(':');
      (repos[t.slice(0, i)] ??= {})[t.slice(i + 1)] = topOf(spec);
    }
  }
  return Object.keys(repos).length ? Buffer.from(JSON.stringify(repos) + '\n') : undefined;
}

/** `docker save` as Docker up to 24 writes it. */
export async function legacySaveTar(images: readonly ImageSpec[]): Promise<Buffer> {
  const members: MemberSpec[] = [];
  const savedAt = new Map<string, string>(); // diff ID -> v1 id holding its layer.tar
  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  for (const spec of images) {
    const layers: string[] = [];
    const chain: string[] = [];
    let parent = '';
    for (const layer of spec.layers) {
      chain.push(layer.diffId);
      const id = v1Id(chain);
      layers.push(`${id}/layer.tar`);
      if (members.some((m) => m.name === `${id}/`)) continue;
      members.push(dirMember(`${id}/`), member(`${id}/VERSION`, '1.0'), member(`${id}/json`, JSON.stringify({ id, ...(parent ? { parent } : {}), created: '1970-01-01T00:00:00Z' })));
      const earlier = savedAt.get(layer.diffId);
      if (earlier) members.push({ name: `${id}/layer.tar`, type: 'symlink', linkname: `../${earlier}/layer.tar` });
      else {
        members.push(member(`${id}/layer.tar`, layer.blob));
        savedAt.set(layer.diffId, id);
      }
      parent = id;
    }
    const config = configBytes(spec);
    members.push(member(`${hex(sha256(config))}.json`, config));
    manifest.push({ Config: `${hex(sha256(config))}.json`, RepoTags: spec.repoTags?.length ? [...spec.repoTags] : null, Layers: layers });
  }
  members.push(member('manifest.json', JSON.stringify(manifest) + '\n'));
  const repos = repositories(images, (spec) => v1Id(spec.layers.map((l) => l.diffId)));
  if (repos) members.push(member('repositories', repos));
  // archive.Tar walks the directory in lexical order.
  return tarBuffer(sortMembers(members));
}

/** `docker save` as Docker 25+ writes it. */
export async function dockerOciSaveTar(images: readonly ImageSpec[]): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const addBlob = (b: Buffer): string => {
    const d = sha256(b);
    blobs.set(hex(d), b);
    return d;
  };
  const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  const indexEntries: object[] = [];
  for (const spec of images) {
    const chain: string[] = [];
    for (const layer of spec.layers) {
      chain.push(layer.diffId);
      addBlob(layer.blob);
      addBlob(Buffer.from(JSON.stringify({ id: v1Id(chain), created: '1970-01-01T00:00:00Z', os: 'linux' })));
    }
    const config = configBytes(spec);
    const configDigest = addBlob(config);
    const platform = { architecture: spec.architecture ?? 'amd64', os: spec.os ?? 'linux' };
    const ociManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length, platform },
        layers: spec.layers.map((l) => ({ mediaType: l.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.blob.length })),
      }),
    );
    const manifestDigest = addBlob(ociManifest);
    for (const tag of spec.repoTags ?? []) {
      const i = tag.lastIndexOf(':');
      const full = tag.includes('/') ? tag : `docker.io/library/${tag}`;
      indexEntries.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: ociManifest.length,
        annotations: { 'io.containerd.image.name': full, 'org.opencontainers.image.ref.name': tag.slice(i + 1) },
        platform,
      });
    }
    manifest.push({ Config: `blobs/sha256/${hex(configDigest)}`, RepoTags: [...(spec.repoTags ?? [])], Layers: spec.layers.map((l) => `blobs/sha256/${hex(l.digest)}`) });
  }
  const members: MemberSpec[] = [dirMember('blobs/'), dirMember('blobs/sha256/')];
  for (const [h, b] of blobs) members.push(member(`blobs/sha256/${h}`, b));
  members.push(member('index.json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: indexEntries })));
  members.push(member('manifest.json', JSON.stringify(manifest) + '\n'));
  members.push(member('oci-layout', '{"imageLayoutVersion": "1.0.0"}'));
  const repos = repositories(images, (spec) => hex(spec.layers.at(-1)!.diffId));
  if (repos) members.push(member('repositories', repos));
  return tarBuffer(sortMembers(members));
}

function sortMembers(members: MemberSpec[]): MemberSpec[] {
  return [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An OCI layout in memory: path -> bytes, written with writeLayout or packed with layoutTar. */
export class OciLayoutBuilder {
  readonly files = new Map<string, Buffer>();
  private readonly top: object[] = [];

  constructor() {
    this.files.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  }

  blob(b: Buffer): { digest: string; size: number } {
    const digest = sha256(b);
    this.files.set(`blobs/sha256/${hex(digest)}`, b);
    return { digest, size: b.length };
  }

  /** Adds config, layers and manifest blobs; returns the manifest descriptor (not yet listed). */
  image(spec: ImageSpec, mediaTypes: 'oci' | 'docker' = 'oci'): { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string; variant?: string } } {
    const config = this.blob(configBytes(spec));
    const docker = mediaTypes === 'docker';
    const layers = spec.layers.map((l) => ({
      mediaType: docker ? (l.gzip ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.docker.image.rootfs.diff.tar') : l.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
      ...this.blob(l.blob),
    }));
    const mediaType = docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', ...config }, layers }));
    const platform = { os: spec.os ?? 'linux', architecture: spec.architecture ?? 'amd64', ...(spec.variant ? { variant: spec.variant } : {}) };
    return { mediaType, ...this.blob(manifest), platform };
  }

  /** An index blob over these descriptors; returns its descriptor. */
  index(entries: readonly object[], mediaTypes: 'oci' | 'docker' = 'oci'): { mediaType: string; digest: string; size: number } {
    const mediaType = mediaTypes === 'docker' ? 'application/vnd.docker.distribution.manifest.list.v2+json' : 'application/vnd.oci.image.index.v1+json';
    return { mediaType, ...this.blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }))) };
  }

  /** Lists a descriptor in index.json, optionally with a ref name. */
  list(desc: object, refName?: string): this {
    this.top.push({ ...desc, ...(refName ? { annotations: { 'org.opencontainers.image.ref.name': refName } } : {}) });
    return this;
  }

  indexJson(): Buffer {
    return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: this.top }));
  }

  writeTo(dir: string): string {
    for (const [p, b] of [...this.files, ['index.json', this.indexJson()] as const]) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), b);
    }
    return dir;
  }

  async tar(): Promise<Buffer> {
    return tarBuffer(sortMembers([...[...this.files].map(([p, b]) => member(p, b)), member('index.json', this.indexJson())]));
  }
}

/** Where a member's data starts in a tar made by tarBuffer (ustar, no long names): for corrupting it in place. */
export function memberDataOffset(tar: Buffer, name: string): number {
  for (let pos = 0; pos + 512 <= tar.length; ) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const n = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    if ((prefix ? `${prefix}/${n}` : n) === name) return pos + 512;
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no member ${name}`);
}
