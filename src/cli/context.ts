import type { Command } from 'commander';
import { createRuntime, type Runtime } from '../app/runtime';
import type { CliIo } from './io';

/** What every command gets: the IO edges and a lazily built runtime honouring the global options. */
export interface CliContext {
  io: CliIo;
  program: Command;
  runtime(): Runtime;
  /** The command being run; set before its action. */
  command?: string;
}

export function createCliContext(program: Command, io: CliIo): CliContext & { dispose(): Promise<void> } {
  let rt: Runtime | undefined;
  const ctx: CliContext & { dispose(): Promise<void> } = {
    io,
    program,
    runtime() {
      if (!rt) {
        const g = program.opts<{ avatarsDir?: string; dataDir?: string }>();
        // One-shot commands print their own output; their logs stay quiet unless asked for.
        const env = ctx.command !== 'serve' && !io.env.LOG_LEVEL ? { ...io.env, LOG_LEVEL: 'warn' } : io.env;
        rt = createRuntime(env, { avatarsDir: g.avatarsDir, dataDir: g.dataDir }, { cwd: io.cwd, isTTY: io.isTTY, semanticInBackground: ctx.command === 'serve' || ctx.command === 'mcp' });
      }
      return rt;
    },
    async dispose() {
      const closing = rt;
      rt = undefined;
      await closing?.close();
    },
  };
  program.hook('preAction', (_program, action) => {
    ctx.command = action.name();
  });
  return ctx;
}
