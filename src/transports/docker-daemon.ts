import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import { DaemonError, NotFoundError } from '../errors.js';
import type { Image, Platform } from '../image/model.js';
import { Workspace } from '../util/workspace.js';
import { imageFromDockerArchive } from './docker-archive.js';
import { TarLayoutReader } from './layout-reader.js';
import { TarLayoutWriter } from './layout-writer.js';
import { writeDockerArchive } from './write-formats.js';

/** The daemon dockerode talks to: DOCKER_HOST, else the default unix socket. */
export function daemonAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

export function connectDaemon(): Docker {
  return new Docker();
}

interface DockerodeError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string };
}

function asDaemonError(err: unknown, doing: string): Error {
  const e = err as DockerodeError;
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT') {
    return new DaemonError(`cannot reach the Docker daemon at ${daemonAddress()} (${e.code}) while ${doing}; is dockerd running? (DOCKER_HOST selects another daemon)`, { cause: err });
  }
  const msg = e.json?.message ?? e.message ?? String(err);
  return new DaemonError(`Docker daemon error while ${doing}: ${msg.trim()}`, { cause: err });
}

/**
 * Reads an image from the daemon with the image-save endpoint. The stream is spooled to a file
 * in a workspace (never held in memory) and then read as a docker-archive.
 */
export async function imageFromDaemon(name: string, platform: Platform): Promise<Image> {
  const docker = connectDaemon();
  let id: string;
  try {
    id = (await docker.getImage(name).inspect()).Id;
  } catch (err) {
    if ((err as DockerodeError).statusCode === 404) throw new NotFoundError(`image ${name} not found in the Docker daemon (docker images lists what it has)`);
    throw asDaemonError(err, `looking up ${name}`);
  }
  const workspace = await Workspace.create();
  try {
    const spool = workspace.path('save.tar');
    let stream: Readable;
    try {
      stream = (await docker.getImage(id).get()) as unknown as Readable;
    } catch (err) {
      throw asDaemonError(err, `saving ${name}`);
    }
    await pipeline(stream, createWriteStream(spool));
    await stat(spool);
    const layout = await TarLayoutReader.open(spool);
    // The save of an ID carries no tags; the name asked for is the one to derive names from.
    const image = await imageFromDockerArchive(layout, undefined, platform, () => workspace.close());
    const inspected = await docker.getImage(id).inspect();
    return { ...image, repoTags: name.startsWith('sha256:') ? inspected.RepoTags ?? [] : [name, ...(inspected.RepoTags ?? []).filter((t) => t !== name)], origin: `docker-daemon:${name}`, close: image.close };
  } catch (err) {
    await workspace.close();
    throw err;
  }
}

/** Loads an image into the daemon through the image-load endpoint, tagged as asked. */
export async function imageToDaemon(image: Image, tag: string): Promise<void> {
  const docker = connectDaemon();
  try {
    await docker.ping();
  } catch (err) {
    throw asDaemonError(err, 'connecting');
  }
  const writer = new TarLayoutWriter();
  const producing = (async () => {
    try {
      await writeDockerArchive(image, writer, [tag]);
      writer.finalize();
    } catch (err) {
      writer.pack.destroy(err as Error);
      throw err;
    }
  })();
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.loadImage(writer.pack as unknown as NodeJS.ReadableStream, { quiet: true });
  } catch (err) {
    await producing.catch(() => undefined);
    throw asDaemonError(err, `loading ${tag}`);
  }
  const chunks: Buffer[] = [];
  for await (const c of response as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  await producing;
  // The load endpoint answers 200 and reports failures inside its JSON message stream.
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    let msg: { error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      continue;
    }
    if (msg.error || msg.errorDetail) throw new DaemonError(`the Docker daemon refused the image: ${msg.errorDetail?.message ?? msg.error}`);
  }
}
