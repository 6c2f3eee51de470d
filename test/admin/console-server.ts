import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import type { CliIo } from '../../src/cli/io';
import { silentLogger } from '../../src/log';
import { serve, type ServeHandle } from '../../src/serve';
import { tmpDir } from '../helpers/fixtures';
import { rawRequest as request } from '../helpers/raw-http';

export const ADMIN_TOKEN = 'admin-test-token-3b9d7c1e5f2a4e60';
const REPO = path.join(__dirname, '..', '..');

export interface ConsoleServer {
  rt: Runtime;
  handle: ServeHandle;
  root: string;
  port: number;
  origin: string;
  close(): Promise<void>;
}

/** The real server (`serve`), on the repository's demo avatars copied into a temp dir, with ADMIN_TOKEN set. */
export async function startConsoleServer(env: Record<string, string> = {}): Promise<ConsoleServer> {
  const root = tmpDir('admin-');
  fs.cpSync(path.join(REPO, 'avatars'), path.join(root, 'avatars'), { recursive: true });
  const out = new PassThrough();
  out.resume();
  const input = new PassThrough();
  input.end();
  const io: CliIo = { stdout: out, stderr: out, stdin: input, env: {}, cwd: REPO, isTTY: false };
  const rt = createRuntime({ PORT: '0', ADMIN_TOKEN, UNDERSTUDY_SEMANTIC: 'off', ...env }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
  const handle = await serve(rt, io, { interactive: false });
  const origin = `http://127.0.0.1:${handle.port}`;
  return {
    rt,
    handle,
    root,
    port: handle.port,
    origin,
    async close() {
      await handle.close();
      await rt.close();
    },
  };
}

/** Signed in with the token: the cookie and the CSRF token a page would hold. */
export async function signIn(s: { port: number; origin: string }, token = ADMIN_TOKEN): Promise<{ cookie: string; csrf: string }> {
  const res = await request(s.port, 'POST', '/admin/api/sign-in', { headers: { 'content-type': 'application/json', origin: s.origin }, body: JSON.stringify({ token }) });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${res.body}`);
  const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0];
  const session = await request(s.port, 'GET', '/admin/api/session', { headers: { cookie } });
  return { cookie, csrf: session.json<{ csrf: string }>().csrf };
}
