/**
 * stdout carries results only: with --json exactly one JSON document and nothing else, so
 * `whittle inspect --json IMG | jq` always parses. Notes, warnings and errors go to stderr.
 */

let jsonWritten = false;

/** Writes the one JSON document of this run. A second document would break parsers, so it throws. */
export function printJson(value: unknown): void {
  if (jsonWritten) throw new Error('a second JSON document was about to be written to stdout');
  jsonWritten = true;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human output on stdout; refused after a JSON document, which must stay alone there. */
export function printText(text: string): void {
  if (jsonWritten) throw new Error('text was about to be written to stdout after the JSON document');
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A note or warning for the user: stderr, never mixed into results. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The single error line: `whittle: <message>`, line breaks folded so it stays one line. */
export function errorLine(message: string): string {
  return `whittle: ${message.replace(/\s*\n\s*/g, ' ').trim()}`;
}

export function printError(message: string): void {
  process.stderr.write(`${errorLine(message)}\n`);
}

/**
 * A reader that stops early (`whittle inspect IMG | head`) closes the pipe; that is not an error
 * worth a message, so the process just ends.
 */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
