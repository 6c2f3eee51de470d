import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import pino from 'pino';
import { loadDotEnv } from './config/dotenv';
import { classifyError } from './errors';
import { registerCoreCommands } from './cli/core-commands';
import { registerDistillCommands } from './cli/distill-commands';
import { registerManifestCommands } from './cli/manifest-commands';
import { registerMeetingCommand } from './cli/meeting-command';
import { registerSummarizeCommand } from './cli/summarize-command';
import { registerStateCommands } from './cli/state-commands';
import { registerInteropCommands } from './cli/interop-commands';
import { registerMcpCommand } from './mcp/command';
import { createCliContext } from './cli/context';
import { processIo, type CliIo } from './cli/io';
import { createLogger } from './log';

export const COMMAND_REGISTRARS: ((program: Command, ctx: ReturnType<typeof createCliContext>) => void)[] = [registerCoreCommands, registerManifestCommands, registerDistillCommands, registerSummarizeCommand, registerStateCommands, registerMcpCommand, registerInteropCommands, registerMeetingCommand];

/**
 * The `understudy` command. Exit codes: 0 ok, 1 user error (one-line message), 2 internal error.
 * Global options are accepted anywhere on the line, also after a subcommand's arguments.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('understudy');
  program
    .description('Digital avatars of colleagues for Slack and Feishu: grounded, cited, consented.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('--avatars-dir <dir>', 'where avatar packages live (default ./avatars)')
    .option('--data-dir <dir>', 'where indexes and state live (default ./data)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const ctx = createCliContext(program, io);
  for (const register of COMMAND_REGISTRARS) register(program, ctx);
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  }
  try {
    loadDotEnv(io.cwd, io.env);
    await program.parseAsync(hoistGlobalOptions(argv), { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (err.exitCode === 0) return 0;
      return 1;
    }
    const e = classifyError(err);
    io.stderr.write(`understudy: ${e.message}\n`);
    if (e.exitCode === 2 && io.env.DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return e.exitCode;
  } finally {
    await ctx.dispose();
  }
}

/** The version in our package.json, found from src/ (ts-jest) or dist/src/ (built). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'understudy' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

/**
 * The last line of defence for a long-running process: a promise rejected where nothing awaits
 * it (a library's fire-and-forget handler) is logged as an error, and the process keeps serving
 * instead of exiting with code 1. Bugs still show in the log; one bad request cannot stop the bot.
 */
export function installLastResortHandlers(): void {
  const log = createLogger({ level: 'error', destination: pino.destination({ fd: 2, sync: true }) });
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection (logged, process kept running)');
  });
}

function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap((s) => allCommands(s))];
}

const GLOBAL_WITH_VALUE = new Set(['--avatars-dir', '--data-dir']);

/** Move global options to the front so commander sees them wherever the user typed them. */
export function hoistGlobalOptions(argv: string[]): string[] {
  const globals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (GLOBAL_WITH_VALUE.has(name)) {
      if (eq > 0) globals.push(a);
      else if (i + 1 < argv.length) globals.push(a, argv[++i]);
      else rest.push(a);
      continue;
    }
    rest.push(a);
  }
  return [...globals, ...rest];
}
