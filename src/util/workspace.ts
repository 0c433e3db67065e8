import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onInterrupt } from './interrupt.js';

/**
 * A private temporary directory for spooled and decompressed layers. Removed on close and,
 * as a last resort, when the process exits, so nothing is left behind on failure.
 */
export class Workspace {
  private static readonly live = new Set<string>();
  private static hooked = false;

  private constructor(readonly dir: string) {}

  static async create(prefix = 'whittle-'): Promise<Workspace> {
    const dir = await mkdtemp(join(process.env.WHITTLE_TMPDIR ?? tmpdir(), prefix));
    Workspace.live.add(dir);
    Workspace.removeLeftoversOnExit();
    return new Workspace(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async close(): Promise<void> {
    Workspace.live.delete(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }

  private static removeLeftoversOnExit(): void {
    if (Workspace.hooked) return;
    Workspace.hooked = true;
    const removeAll = (): void => {
      for (const dir of Workspace.live) rmSync(dir, { recursive: true, force: true });
    };
    // 'exit' handlers cannot wait, so the removal is synchronous; Ctrl-C skips 'exit', hence both.
    process.once('exit', removeAll);
    onInterrupt(removeAll);
  }
}
