import type { Readable, Writable } from 'node:stream';

/** The process edges a command touches, injectable for tests. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stdin and stdout are an interactive terminal. */
  isTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  };
}

export function println(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}
