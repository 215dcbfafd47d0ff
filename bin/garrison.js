#!/usr/bin/env -S node --max-semi-space-size=128
// Entry point of the `garrison` command. Runs the compiled CLI (npm run build).
// The larger young generation (V8's default semi-space is 16 MiB) raises ingest throughput by
// ~15%: normalized batches die young instead of being promoted (docs/store.md, "Ingest speed").
// `npm start` / `npm run demo` pass the same flag; `node bin/garrison.js` alone runs without it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('garrison: not built yet; run `npm run build` (npm start builds automatically)');
  process.exit(2);
}
await import(main.href);
