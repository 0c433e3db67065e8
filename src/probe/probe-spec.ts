import { UsageError } from '../errors.js';

/** What to compare between the original and the slimmed image. */
export type ProbeSpec = { kind: 'http'; url: string; port: number } | { kind: 'cmd'; args: string[]; text: string };

export function httpProbe(url: string): ProbeSpec {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--probe ${JSON.stringify(url)} is not a URL (e.g. http://127.0.0.1:8080/health)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--probe ${url}: only http and https URLs can be probed`);
  // Containers run with --network host, so only loopback reaches them; nothing else is ever sent.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) throw new UsageError(`--probe ${url}: probes talk to the container on loopback only (use 127.0.0.1)`);
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  return { kind: 'http', url, port };
}

export function commandProbe(text: string): ProbeSpec {
  // An empty command runs the image with its own CMD.
  const args = splitShellWords(text);
  return { kind: 'cmd', args, text: text.trim() === '' ? '(the image\'s CMD)' : text };
}

/** Splits like a POSIX shell does for words: quotes and backslashes, no expansion. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unterminated ${quote} in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}
