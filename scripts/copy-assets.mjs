#!/usr/bin/env node
/**
 * Copies the non-TypeScript files that code loads at run time (YAML org models, Sigma processing
 * pipelines, ATT&CK data, ...) from src/ to dist/, keeping their relative paths, so that the
 * compiled build finds them next to its modules. Part of `npm run build` (after tsc).
 *
 * Skipped: TypeScript sources (*.ts, *.mts, *.cts — tsc emits those), tests (*.test.*), and
 * anything under a `fixtures/` folder (test data, never loaded by the product).
 *
 * Usage: node scripts/copy-assets.mjs [--src DIR] [--out DIR] [--quiet]
 */
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : dflt;
};
const srcDir = opt('--src', path.join(root, 'src'));
const outDir = opt('--out', path.join(root, 'dist'));
const quiet = args.includes('--quiet');

const SKIP_DIRS = new Set(['fixtures', 'node_modules', '__snapshots__']);
const isSource = (name) => /\.(?:[cm]?ts|tsx)$/.test(name) && !name.endsWith('.d.ts');
const isTest = (name) => /\.test\./.test(name);

/** Returns the relative paths of the assets under dir. */
export function listAssets(dir, rel = '') {
  const out = [];
  for (const ent of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? path.join(rel, ent.name) : ent.name;
    if (ent.isDirectory()) {
      if (!SKIP_DIRS.has(ent.name) && !ent.name.startsWith('.')) out.push(...listAssets(dir, r));
    } else if (ent.isFile()) {
      if (!isSource(ent.name) && !isTest(ent.name) && !ent.name.startsWith('.')) out.push(r);
    }
  }
  return out;
}

let copied = 0;
let bytes = 0;
for (const rel of listAssets(srcDir)) {
  const from = path.join(srcDir, rel);
  const to = path.join(outDir, rel);
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
  copied++;
  bytes += statSync(from).size;
  if (!quiet) process.stdout.write(`  ${rel}\n`);
}
if (!quiet) process.stdout.write(`copy-assets: ${copied} file(s), ${(bytes / 1024).toFixed(0)} KiB from ${path.relative(root, srcDir) || '.'} to ${path.relative(root, outDir) || '.'}\n`);
