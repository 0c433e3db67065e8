/**
 * Typed errors. Every error a user can cause carries a one-line message that names the
 * problem and what to do about it; the CLI prints `whittle: <message>` and exits with the
 * kind's code (documented in README.md).
 */
export type ErrorKind =
  | 'bad-input' // corrupt tar, missing blob, digest mismatch, hostile path, bad profile
  | 'not-found' // unknown image reference, missing file
  | 'daemon' // Docker daemon unreachable or refused a request
  | 'threshold' // a CI threshold was missed
  | 'probe' // a probe failed
  | 'usage'; // bad flags

export const EXIT_CODES: Readonly<Record<ErrorKind | 'ok' | 'internal', number>> = {
  ok: 0,
  internal: 1,
  usage: 2,
  'bad-input': 3,
  'not-found': 4,
  daemon: 5,
  threshold: 6,
  probe: 7,
};

export class WhittleError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** Input that cannot be read as an image: corrupt or truncated tar, missing blob, bad JSON. */
export class BadInputError extends WhittleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad-input', message, options);
  }
}

/** A blob whose bytes do not hash to the digest that names it. */
export class DigestMismatchError extends BadInputError {
  constructor(what: string, expected: string, actual: string) {
    super(`digest mismatch in ${what}: expected ${expected}, got ${actual}`);
  }
}

/** A tar entry or link that would reach outside the image root. */
export class HostilePathError extends BadInputError {}

export class NotFoundError extends WhittleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-found', message, options);
  }
}

export class DaemonError extends WhittleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('daemon', message, options);
  }
}

export class UsageError extends WhittleError {
  constructor(message: string) {
    super('usage', message);
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof WhittleError ? EXIT_CODES[err.kind] : EXIT_CODES.internal;
}

/** One line for stderr: never a stack trace for errors the user can fix. */
export function describeError(err: unknown): string {
  if (err instanceof WhittleError) return err.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}
