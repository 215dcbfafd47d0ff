import type { Command } from 'commander';
import { register as serve } from './serve.js';
import { register as ingest } from './ingest.js';
import { register as search } from './search.js';
import { register as sigma } from './sigma.js';
import { register as scan } from './scan.js';
import { register as evtx } from './evtx.js';
import { register as simulate } from './simulate.js';
import { register as baseline } from './baseline.js';
import { register as incidents } from './incidents.js';
import { register as evalCmd } from './eval.js';
import { register as demo } from './demo.js';
import { register as users } from './users.js';
import { register as coverage } from './coverage.js';
import { register as rules } from './rules.js';
import { register as hunt } from './hunt.js';
import { register as investigate } from './investigate.js';
import { register as intel } from './intel.js';
import { register as policy } from './policy.js';
import { register as actions } from './actions.js';
import { register as audit } from './audit.js';
import { register as report } from './report.js';

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
  incidents,
  eval: evalCmd,
  demo,
  users,
  coverage,
  rules,
  hunt,
  investigate,
  intel,
  policy,
  actions,
  audit,
  report,
};
