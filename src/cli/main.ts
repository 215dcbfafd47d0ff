/**
 * The `garrison` command line. Each command lives in its own module under cli/commands and is
 * listed in cli/commands/index.ts (an explicit map, no discovery).
 */
import { Command } from 'commander';
import { COMMANDS } from './commands/index.js';
import { GarrisonError } from '../core/errors.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('garrison')
    .description('Garrison: autonomous security operations engine')
    .version('0.1.0')
    .showHelpAfterError();
  for (const register of Object.values(COMMANDS)) register(program);
  return program;
}

/** `garrison … | head`: a reader that goes away is not an error; stop quietly like other Unix tools. */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof GarrisonError) {
      process.stderr.write(`garrison: ${e.code}: ${e.message}\n`);
      process.exitCode = e.status >= 500 ? 2 : 1;
    } else {
      process.stderr.write(`garrison: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 2;
    }
  }
}

await main(process.argv);
