import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { until } from '../test/helpers/wait';

/*
 * Starting `understudy serve --role …` processes (the built CLI) on one machine: shared by the
 * scale tests (test/scale/) and `npm run bench -- scale`.
 */

/** The checkout: this file runs from bench/ (tests) or dist/bench/ (the built benchmarks). */
const REPO_ROOT = [path.resolve(__dirname, '..'), path.resolve(__dirname, '../..')].find((d) => fs.existsSync(path.join(d, 'bin', 'understudy.js'))) ?? path.resolve(__dirname, '..');
const BIN = path.join(REPO_ROOT, 'bin', 'understudy.js');

/** One `understudy serve --role …` process (the built CLI), its port read from its 'listening' log line. */
export interface Replica {
  role: 'web' | 'worker' | 'all';
  child: ChildProcess;
  port: number;
  log: () => string;
}

export async function startReplica(role: 'web' | 'worker' | 'all', root: string, env: Record<string, string>): Promise<Replica> {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'src', 'cli.js'))) throw new Error('dist/ is missing: run npm run build first (replicas run the built CLI)');
  const child = spawn(process.execPath, [BIN, 'serve', '--role', role], { cwd: root, env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"port":(\d+)[^\n]*"msg":"listening"|"msg":"listening"[^\n]*"port":(\d+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1] ?? m[2]));
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`serve --role ${role} exited with ${code} before listening:\n${out}`));
    });
  });
  await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, `${role} replica on ${port} to be ready`, 60_000);
  return { role, child, port, log: () => out };
}

export async function stopReplica(r: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill(signal);
  await exited;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
