import type { Command } from 'commander';
import { register as serve } from './serve.js';
import { register as ingest } from './ingest.js';
import { register as search } from './search.js';
import { register as sigma } from './sigma.js';
import { register as scan } from './scan.js';
import { register as evtx } from './evtx.js';
import { register as simulate } from './simulate.js';
import { register as baseline } from './baseline.js';

/** Every CLI command, by name. Adding a command = one module + one line here. */
export const COMMANDS: Record<string, (program: Command) => void> = {
  serve,
  ingest,
  search,
  sigma,
  scan,
  evtx,
  simulate,
  baseline,
};
