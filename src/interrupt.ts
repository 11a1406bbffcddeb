// Ctrl-C, `kill`, a closed terminal: the command line ends at once, but first the work under way tidies
// up after itself (Chromium killed, the staging folder and the out folder's lock removed). Library code
// registers what to do; only the command line installs the signal handlers.

type Cleanup = () => Promise<unknown> | unknown;

const cleanups = new Set<Cleanup>();

/** Runs `cleanup` if the process is interrupted before the returned function is called. */
export function whenInterrupted(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

const SIGNAL_NUMBERS = {SIGHUP: 1, SIGINT: 2, SIGTERM: 15} as const;

/** Longest a cleanup may take before the process ends anyway. */
const CLEANUP_LIMIT_MS = 3000;

/**
 * On SIGINT, SIGTERM or SIGHUP: the registered cleanups (at most 3 s), then exit with 128 + the signal's
 * number, as a shell reports a process ended by it. A second signal ends the process at once.
 */
export function exitOnSignals(onSignal?: (signal: string) => void): void {
  let ending = false;
  for (const [signal, number] of Object.entries(SIGNAL_NUMBERS)) {
    process.on(signal, () => {
      if (ending) process.exit(128 + number);
      ending = true;
      onSignal?.(signal);
      const limit = new Promise((resolve) => setTimeout(resolve, CLEANUP_LIMIT_MS).unref());
      void Promise.race([Promise.allSettled([...cleanups].map(async (cleanup) => cleanup())), limit]).then(() => process.exit(128 + number));
    });
  }
}
