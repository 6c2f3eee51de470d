import type { Command } from 'commander';
import { createRuntime, type Runtime } from '../runtime';
import type { CliIo } from './io';

/** What every command gets: the IO edges and a lazily built runtime honouring the global options. */
export interface CliContext {
  io: CliIo;
  program: Command;
  runtime(): Runtime;
}

export function createCliContext(program: Command, io: CliIo): CliContext & { dispose(): void } {
  let rt: Runtime | undefined;
  return {
    io,
    program,
    runtime() {
      if (!rt) {
        const g = program.opts<{ avatarsDir?: string; dataDir?: string }>();
        rt = createRuntime(io.env, { avatarsDir: g.avatarsDir, dataDir: g.dataDir }, { cwd: io.cwd, isTTY: io.isTTY });
      }
      return rt;
    },
    dispose() {
      rt?.close();
      rt = undefined;
    },
  };
}
