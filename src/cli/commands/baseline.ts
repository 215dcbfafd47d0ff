import type { Command } from 'commander';

// PLACEHOLDER: replaced by the owner of this command during this session.
export function register(program: Command): void {
  program.command('baseline').description('(not built yet)').action(() => {
    throw new Error('baseline: not built yet');
  });
}
