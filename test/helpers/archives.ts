/**
 * Synthetic image archives in the layouts real tools write: `docker save` before Docker 25
 * (manifest.json, <id>.json, <layer-id>/layer.tar, repositories), Docker 25+ (an OCI layout:
 * oci-layout, index.json with the image annotations, blobs/sha256/..., plus manifest.json
 * pointing into blobs/), and a plain OCI layout directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { tarBuffer, type MemberSpec } from './synthetic.js';

export const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hex = (d: string): string => d.slice(7);

export interface SyntheticImage {
  layers: Buffer[];
  config: Buffer;
  configDigest: string;
  diffIds: string[];
}

export async function syntheticImage(layers: ReadonlyArray<readonly MemberSpec[]>, extra: Record<string, unknown> = {}): Promise<SyntheticImage> {
  const tars = await Promise.all(layers.map((l) => tarBuffer(l)));
  const diffIds = tars.map(sha);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/app'], Env: ['PATH=/usr/bin:/bin'], WorkingDir: '/', Labels: { a: 'b' } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: tars.map((_, i) => ({ created_by: `step ${i + 1}` })),
      ...extra,
    }),
  );
  return { layers: tars, config, configDigest: sha(config), diffIds };
}

/** The legacy `docker save` layout (Docker 20.10 and older). */
export async function legacyDockerSave(img: SyntheticImage, repoTag = 'example/app:1'): Promise<Buffer> {
  const members: MemberSpec[] = [{ name: `${hex(img.configDigest)}.json`, content: img.config }];
  const layerPaths: string[] = [];
  img.layers.forEach((tar, i) => {
    const id = hex(sha(`layer-id-${i}-${img.diffIds[i]}`));
    members.push({ name: `${id}/`, type: 'directory' }, { name: `${id}/VERSION`, content: '1.0' }, { name: `${id}/json`, content: '{}' }, { name: `${id}/layer.tar`, content: tar });
    layerPaths.push(`${id}/layer.tar`);
  });
  members.push({ name: 'manifest.json', content: JSON.stringify([{ Config: `${hex(img.configDigest)}.json`, RepoTags: [repoTag], Layers: layerPaths }]) });
  const [repo, tag] = repoTag.split(':');
  members.push({ name: 'repositories', content: JSON.stringify({ [repo!]: { [tag!]: layerPaths.at(-1)!.split('/')[0] } }) });
  return tarBuffer(members);
}

/** The Docker 25+ `docker save` layout, as moby's image/tarexport writes it. */
export async function ociDockerSave(img: SyntheticImage, repoTag = 'example/app:1', opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const { files, manifestDigest, manifest } = ociBlobs(img, opts);
  const members: MemberSpec[] = [{ name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/', type: 'directory' }];
  for (const [digest, bytes] of files) members.push({ name: `blobs/sha256/${hex(digest)}`, content: bytes });
  members.push({ name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) });
  members.push({
    name: 'index.json',
    content: JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          annotations: { 'io.containerd.image.name': `docker.io/${repoTag}`, 'org.opencontainers.image.ref.name': repoTag.split(':')[1] },
        },
      ],
    }),
  });
  members.push({
    name: 'manifest.json',
    content: JSON.stringify([{ Config: `blobs/sha256/${hex(img.configDigest)}`, RepoTags: [repoTag], Layers: [...files.keys()].filter((d) => d !== img.configDigest && d !== manifestDigest).map((d) => `blobs/sha256/${hex(d)}`) }]),
  });
  return tarBuffer(members);
}

/** Blobs of an OCI image: config, layers (maybe gzip), manifest. */
export function ociBlobs(img: SyntheticImage, opts: { gzip?: boolean; platform?: { os: string; architecture: string } } = {}): { files: Map<string, Buffer>; manifestDigest: string; manifest: Buffer } {
  const files = new Map<string, Buffer>();
  files.set(img.configDigest, img.config);
  const layerDescs = img.layers.map((tar) => {
    const blob = opts.gzip ? gzipSync(tar) : tar;
    const digest = sha(blob);
    files.set(digest, blob);
    return { mediaType: opts.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length };
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: img.configDigest, size: img.config.length },
      layers: layerDescs,
    }),
  );
  const manifestDigest = sha(manifest);
  files.set(manifestDigest, manifest);
  return { files, manifestDigest, manifest };
}

/** An OCI layout directory holding an index of several platforms. */
export function ociLayoutDir(dir: string, images: Array<{ img: SyntheticImage; platform: { os: string; architecture: string }; gzip?: boolean }>, refName = 'v1'): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const entries = images.map(({ img, platform, gzip }) => {
    const { files, manifestDigest, manifest } = ociBlobs(img, { gzip: gzip ?? false });
    for (const [d, b] of files) writeFileSync(join(dir, 'blobs', 'sha256', hex(d)), b);
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, platform };
  });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }));
  const indexDigest = sha(index);
  writeFileSync(join(dir, 'blobs', 'sha256', hex(indexDigest)), index);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': refName } }] }),
  );
}
