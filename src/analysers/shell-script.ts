import type { RootFs } from '../rootfs/rootfs.js';
import { findProgram } from './entrypoint.js';

/** Builtins and keywords: words in command position that are not programs. */
const NOT_PROGRAMS = new Set(
  (
    'if then else elif fi case esac for while until do done in function select time ! { } [[ ]] ' +
    ': . source alias bg break cd command continue declare echo eval exec exit export false fg getopts hash help ' +
    'jobs kill let local logout printf pwd read readonly return set shift shopt test [ times trap true type typeset ' +
    'ulimit umask unalias unset wait'
  ).split(' '),
);

/** Words after which the next word is again a command: `exec x`, `env A=1 x`, `nohup x`. */
const PREFIX_COMMANDS = new Set(['exec', 'command', 'env', 'nohup', 'nice', 'time', 'xargs', 'su-exec', 'gosu', 'tini', 'dumb-init', 'setpriv', 'chroot', 'timeout', 'stdbuf']);

export interface ScriptCommands {
  /** Program names or paths in command position, in order of appearance. */
  commands: string[];
  /** Files the script sources with `.` or `source`. */
  sourced: string[];
  /** The script runs its arguments (`exec "$@"`): the CMD is a program too. */
  runsArguments: boolean;
}

/**
 * Finds the commands a shell script runs, by reading it: command position after `;`, `&&`,
 * `||`, `|`, `(`, `$(`, backticks, newlines and keywords; after exec/env/nohup and friends;
 * skipping assignments, heredoc bodies, comments, functions the script defines and builtins.
 * Not a full shell parser: it errs towards finding a command rather than missing one.
 */
export function findScriptCommands(text: string): ScriptCommands {
  const commands: string[] = [];
  const sourced: string[] = [];
  const functions = new Set<string>();
  let runsArguments = /(^|[^\\])"?\$(@|\{@\}|\*)"?/.test(text.replace(/#[^\n]*/g, '')) && /\bexec\b/.test(text);
  for (const m of text.matchAll(/(?:^|\n)\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\s*\)/g)) functions.add(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*function\s+([A-Za-z_][\w-]*)/g)) functions.add(m[1]!);
  const lines = stripHeredocs(text.replace(/\\\n/g, ' ')).split('\n');
  for (const rawLine of lines) {
    const line = stripComment(rawLine);
    // Split into simple commands at control operators and substitutions.
    const pieces = line.split(/;;|;|&&|\|\||\||&|\$\(|`|\(|\)|\bthen\b|\bdo\b|\belse\b|\{|\}/);
    for (const piece of pieces) {
      const words = tokenize(piece);
      let i = 0;
      while (i < words.length) {
        const w = words[i]!;
        if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || w === '!' || w === 'if' || w === 'while' || w === 'until' || w === 'elif' || w === 'time') {
          i++;
          continue;
        }
        if (w === '.' || w === 'source') {
          if (words[i + 1]) sourced.push(words[i + 1]!);
          break;
        }
        if (PREFIX_COMMANDS.has(w)) {
          if (w !== 'exec' && w !== 'command' && w !== 'time') commands.push(w);
          i++;
          // Options of the prefix command (and `timeout 10`, `nice -n 5`).
          while (i < words.length && (/^-/.test(words[i]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || /^\d+[smhd]?$/.test(words[i]!))) i++;
          if (words[i] === '"$@"' || words[i] === '$@' || words[i] === '"${@}"') runsArguments = true;
          continue;
        }
        if (w === 'case' || w === 'for' || w === 'select' || w === 'function' || w === 'in' || w.endsWith(')')) break;
        if (!NOT_PROGRAMS.has(w) && !functions.has(w) && /^[\w./+-]+$/.test(w) && !/^\d+$/.test(w) && !w.startsWith('-')) commands.push(w);
        break;
      }
    }
  }
  return { commands: [...new Set(commands)], sourced: [...new Set(sourced)], runsArguments };
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function stripHeredocs(text: string): string {
  const out: string[] = [];
  let terminator: string | undefined;
  for (const line of text.split('\n')) {
    if (terminator) {
      if (line.trim() === terminator) terminator = undefined;
      continue;
    }
    const m = /<<-?\s*['"]?(\w+)['"]?/.exec(line);
    if (m) terminator = m[1];
    out.push(line.replace(/<<-?\s*['"]?\w+['"]?/, ''));
  }
  return out.join('\n');
}

/** Words with quotes removed; a quoted word keeps its text. */
function tokenize(s: string): string[] {
  const words: string[] = [];
  for (const m of s.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    if (m[1] !== undefined) words.push(m[1] === '$@' ? '"$@"' : m[1]);
    else if (m[2] !== undefined) words.push(m[2]);
    else words.push(m[3]!.replace(/^[<>]+.*$/, ''));
  }
  return words.filter((w) => w !== '');
}

export interface ScriptAnalysis {
  /** Resolved in-image paths of the programs the script runs (and its sourced scripts'). */
  programs: Array<{ name: string; path: string; symlinks: readonly string[]; script: string }>;
  notFound: Array<{ name: string; script: string }>;
  sourcedFiles: string[];
  runsArguments: boolean;
}

/** Reads a script (and what it sources), resolving each command through the image's PATH. */
export async function analyseScript(fs: RootFs, scriptPath: string | undefined, inline: string | undefined, env: ReadonlyMap<string, string>, cwd: string): Promise<ScriptAnalysis> {
  const result: ScriptAnalysis = { programs: [], notFound: [], sourcedFiles: [], runsArguments: false };
  const queue: Array<{ name: string; text: string }> = [];
  if (inline !== undefined) queue.push({ name: 'sh -c command', text: inline });
  if (scriptPath) queue.push({ name: `/${scriptPath}`, text: (await fs.readFile(scriptPath)).toString('utf8') });
  const seen = new Set<string>();
  while (queue.length > 0) {
    const { name, text } = queue.shift()!;
    const found = findScriptCommands(text);
    result.runsArguments ||= found.runsArguments;
    for (const cmd of found.commands) {
      if (cmd.includes('$')) continue;
      const p = findProgram(fs, cmd, env, cwd);
      if (p) result.programs.push({ name: cmd, ...p, script: name });
      else result.notFound.push({ name: cmd, script: name });
    }
    for (const src of found.sourced) {
      if (src.includes('$')) continue;
      const r = fs.resolve(src.startsWith('/') ? src : `${cwd}/${src}`);
      if (r.entry?.type !== 'file' || seen.has(r.path)) continue;
      seen.add(r.path);
      result.sourcedFiles.push(r.path, ...r.symlinks);
      queue.push({ name: `/${r.path}`, text: (await fs.readFile(r.path)).toString('utf8') });
    }
  }
  return result;
}
