/**
 * Clean-ups to run when the user presses Ctrl-C (or the process gets SIGTERM): Node's default is
 * to die at once, without 'exit' handlers, which would leave temp files and containers behind.
 * Every registered clean-up runs (together, each allowed to fail), then the process exits 130.
 */
type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
let hooked = false;

export function onInterrupt(fn: Cleanup): () => void {
  cleanups.add(fn);
  if (!hooked) {
    hooked = true;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        void Promise.allSettled([...cleanups].map(async (c) => c())).then(() => process.exit(130));
      });
    }
  }
  return () => cleanups.delete(fn);
}
