/**
 * Worker-thread heap sizing. V8 flags are process-wide and override a Worker's `resourceLimits`:
 * started with `--max-semi-space-size=128` (bin/garrison.js, for the ingest hot path on the main
 * thread), every worker thread would also get a young generation of up to 256 MiB, which it
 * fills (the store's writer and indexer each grew to ~270 MiB committed). Resetting the flag to
 * its default once the main isolate exists leaves the main thread's heap as configured and
 * lets each worker be sized by its own resourceLimits. Call before creating worker threads.
 */
import v8 from 'node:v8';

let done = false;

export function workersUseTheirOwnHeapLimits(): void {
  if (done) return;
  done = true;
  try {
    v8.setFlagsFromString('--max-semi-space-size=0');
  } catch {
    // Not fatal: workers keep the process-wide setting.
  }
}
