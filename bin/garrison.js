#!/usr/bin/env node
// Entry point of the `garrison` command. Runs the compiled CLI (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('garrison: not built yet; run `npm run build` (npm start builds automatically)');
  process.exit(2);
}
await import(main.href);
