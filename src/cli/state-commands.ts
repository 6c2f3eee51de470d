import type { Command } from 'commander';
import path from 'node:path';
import { loadConfig } from '../config/env';
import { checkStateFile, moveStateAside, stateCorruptError } from '../store/state-health';
import type { CliContext } from './context';
import { println } from './io';

/** The state database's path from the global options and the environment, without opening it. */
function stateFile(ctx: CliContext): string {
  const g = ctx.program.opts<{ avatarsDir?: string; dataDir?: string }>();
  return path.join(loadConfig(ctx.io.env, { avatarsDir: g.avatarsDir, dataDir: g.dataDir }, ctx.io.cwd).dataDir, 'state.db');
}

/**
 * `understudy state check | move-aside`: they work when state.db is damaged (every other
 * command that needs it stops), because they are how an operator gets out of that.
 */
export function registerStateCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const state = program.command('state').description('check the state database (conversations, consent, audit log) or move a damaged one aside');
  state
    .command('check')
    .description("run SQLite's integrity check on state.db (read-only)")
    .action(() => {
      const file = stateFile(ctx);
      const health = checkStateFile(file);
      if (!health.exists) return println(io.stdout, `${file} does not exist yet; it is created on first use.`);
      if (health.ok) return println(io.stdout, `${file} is intact.`);
      println(io.stdout, `${file} is damaged:`);
      for (const p of health.problems) println(io.stdout, `  - ${p}`);
      throw stateCorruptError(file, `${health.problems.length} problem(s) found`);
    });
  state
    .command('move-aside')
    .description('move a damaged state.db (and its -wal/-shm) to state.db.corrupt-<time>; the next start creates an empty one')
    .option('--force', 'move it even though it is intact')
    .action((o: { force?: boolean }) => {
      const file = stateFile(ctx);
      const target = moveStateAside(file, { force: o.force });
      println(io.stdout, `Moved ${file} to ${target}.`);
      println(io.stdout, 'Conversations, consent records and the audit log start empty. To salvage rows from the moved copy:');
      println(io.stdout, `  sqlite3 ${target} .recover > recovered.sql`);
    });
}
