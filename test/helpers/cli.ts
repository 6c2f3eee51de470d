import { PassThrough } from 'node:stream';
import { main } from '../../src/cli';
import type { CliIo } from '../../src/cli/io';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI in-process with captured streams. */
export async function runCli(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: string; isTTY?: boolean }): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const stdin = new PassThrough();
  if (options.stdin !== undefined) stdin.end(options.stdin);
  const io: CliIo = { stdout, stderr, stdin, env: { LOG_LEVEL: 'silent', ...(options.env ?? {}) }, cwd: options.cwd, isTTY: options.isTTY ?? false };
  const code = await main(argv, io);
  return { code, stdout: out, stderr: err };
}
