import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { countingStream, progress } from '../report/progress.js';
import Docker from 'dockerode';
import { DaemonError, NotFoundError, UsageError, WhittleError } from '../errors.js';
import type { Image } from '../image/model.js';
import { Workspace } from '../util/workspace.js';
import { openDockerArchive } from './docker-archive.js';
import { DaemonSpool } from './daemon-spool.js';
import { dockerArchiveStream } from './docker-archive-writer.js';
import type { PlatformChoice } from './platform.js';
import { withDefaultTag } from './reference.js';

/** The daemon dockerode talks to: DOCKER_HOST, else the default unix socket. */
export function daemonAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** The few daemon calls whittle makes, typed as whittle uses them. */
interface DaemonClient {
  ping(): Promise<void>;
  inspect(name: string): Promise<{ id: string; repoTags: string[]; size: number }>;
  /** The image-save endpoint: a `docker save` tar of one image. */
  save(id: string): Promise<Readable>;
  /** The image-load endpoint: its JSON message stream. */
  load(archive: Readable): Promise<Readable>;
}

function asReadable(s: NodeJS.ReadableStream): Readable {
  return s instanceof Readable ? s : Readable.from(s as AsyncIterable<Buffer>, { objectMode: false });
}

function connectDaemon(): DaemonClient {
  const docker = new Docker();
  return {
    ping: async () => {
      await docker.ping();
    },
    inspect: async (name) => {
      const info = await docker.getImage(name).inspect();
      return { id: info.Id, repoTags: info.RepoTags ?? [], size: info.Size ?? 0 };
    },
    save: async (id) => asReadable(await docker.getImage(id).get()),
    load: async (archive) => asReadable(await docker.loadImage(archive, { quiet: true })),
  };
}

interface DockerodeError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EPIPE']);

function asDaemonError(err: unknown, doing: string): Error {
  if (err instanceof WhittleError) return err;
  const e = (err ?? {}) as DockerodeError;
  if (e.code && UNREACHABLE.has(e.code) && e.statusCode === undefined) {
    const hint = e.code === 'EACCES' || e.code === 'EPERM' ? 'check you may use its socket (the docker group)' : 'start dockerd, or point DOCKER_HOST at a running daemon';
    return new DaemonError(`cannot reach the Docker daemon at ${daemonAddress()} (${e.code}) while ${doing}; ${hint}`, { cause: err });
  }
  const msg = (e.json?.message ?? e.message ?? String(err)).trim();
  return new DaemonError(`the Docker daemon failed ${doing}: ${msg}`, { cause: err });
}

/**
 * Reads an image from the daemon with the image-save endpoint. The stream is spooled to a file
 * in a workspace (never held in memory) and then read as a docker-archive.
 */
export async function imageFromDaemon(name: string, choice: PlatformChoice): Promise<Image> {
  const daemon = connectDaemon();
  let found: { id: string; repoTags: string[]; size: number };
  try {
    found = await daemon.inspect(name);
  } catch (err) {
    const status = (err as DockerodeError | undefined)?.statusCode;
    if (status === 404) throw new NotFoundError(`image ${name} not found in the Docker daemon`);
    if (status === 400) throw new UsageError(`invalid image name ${JSON.stringify(name)}: ${((err as DockerodeError).json?.message ?? '').trim()}`);
    throw asDaemonError(err, `looking up ${name}`);
  }
  const workspace = await Workspace.create();
  const spool = new DaemonSpool(workspace.path('save.tar'));
  const release = async (): Promise<void> => {
    await spool.close();
    await workspace.close();
  };
  try {
    try {
      progress().begin('reading', found.size);
      // The spool writes in large batches: with the 16 kB default, backpressure stalls the
      // daemon's stream and reading takes twice as long as `docker save` does.
      await pipeline(await daemon.save(found.id), countingStream(), spool);
      progress().end();
    } catch (err) {
      throw asDaemonError(err, `saving ${name}`);
    }
    // The daemon computed the layers' digests from what it stores and sends exactly those bytes
    // (tar-split), so they are not hashed again: that would add a fifth to the time of a slim.
    // Tar framing is still checked as layers are read, and the daemon checks what is loaded.
    const image = await openDockerArchive(spool.path, undefined, choice, { trustLayerDigests: true, listedMembers: spool.listed, onClose: release });
    // A save by ID carries no tags: the name asked for comes first, then the others the daemon knows.
    const asked = found.repoTags.find((t) => t === name || t === withDefaultTag(name));
    const repoTags = asked ? [asked, ...found.repoTags.filter((t) => t !== asked)] : found.repoTags;
    return { ...image, repoTags, origin: `docker-daemon:${name}` };
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * Loads an image into the daemon through the image-load endpoint, as a legacy docker-archive
 * made while it is sent, tagged `tag` through manifest.json's RepoTags.
 */
export async function imageToDaemon(image: Image, tag: string): Promise<void> {
  const daemon = connectDaemon();
  try {
    await daemon.ping();
  } catch (err) {
    throw asDaemonError(err, 'answering a ping');
  }
  const archive = dockerArchiveStream(image, [tag]);
  // Set from promise callbacks, so an object: TypeScript would narrow a plain variable to 'pending'.
  const making: { state: 'pending' | 'ok' | 'failed'; error?: unknown } = { state: 'pending' };
  archive.done.then(
    () => (making.state = 'ok'),
    (err: unknown) => Object.assign(making, { state: 'failed', error: err }),
  );
  let messages: string;
  try {
    progress().begin('loading', image.layers.reduce((n, l) => n + l.size, 0));
    const body = Readable.from(archive.stream, { objectMode: false });
    const counted = countingStream();
    // pipe() does not pass errors on: a failing source must end the request, or the load hangs.
    body.on('error', (err) => counted.destroy(err));
    const response = await daemon.load(body.pipe(counted));
    // The endpoint answers 200 and reports failures inside its JSON message stream, so it is read to the end.
    const chunks: Buffer[] = [];
    for await (const c of response) chunks.push(Buffer.from(c as Buffer));
    messages = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    // A failure making the archive (a bad source layer) is the real cause: the daemon only saw a cut tar.
    const cause = making.state === 'failed' ? making.error : undefined;
    archive.stream.destroy();
    await archive.done.catch(() => undefined);
    throw cause ?? asDaemonError(err, `loading ${tag}`);
  }
  progress().end();
  // The daemon has answered: what it has not read by now it never will, so stop making it.
  const stoppedEarly = making.state === 'pending';
  if (stoppedEarly) archive.stream.destroy();
  await archive.done.catch(() => undefined);
  if (making.state === 'failed' && !stoppedEarly) throw making.error;
  for (const line of messages.split('\n')) {
    if (!line.trim()) continue;
    let msg: { error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      continue;
    }
    if (msg.errorDetail || msg.error) throw new DaemonError(`the Docker daemon refused to load ${tag}: ${(msg.errorDetail?.message ?? msg.error ?? '').trim()}`);
  }
  if (stoppedEarly) throw new DaemonError(`the Docker daemon stopped reading ${tag} before its end and said why not: ${messages.trim() || '(nothing)'}`);
}
