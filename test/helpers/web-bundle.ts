import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const WEB = path.join(ROOT, 'web');
const OUT = path.join(ROOT, 'dist', 'web');
const LOCK = path.join(ROOT, 'dist', '.web-build.lock');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function fresh(): boolean {
  const built = path.join(OUT, 'index.html');
  return fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest(WEB);
}

/**
 * dist/web as the browser tests need it: built (`npm run build:web`, about a second) when missing
 * or older than any file under web/. One jest worker builds at a time (a lock directory), since a
 * build empties dist/web under the feet of another suite's server.
 */
export async function ensureWebBundle(): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (fresh()) return OUT;
    try {
      fs.mkdirSync(path.dirname(LOCK), { recursive: true });
      fs.mkdirSync(LOCK);
    } catch {
      // Another worker is building, or died building (a stale lock is older than a build could take).
      if (fs.existsSync(LOCK) && Date.now() - fs.statSync(LOCK).mtimeMs > 120_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`dist/web: gave up waiting for the build lock ${LOCK}`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      if (!fresh()) {
        // Built beside and swapped in, so that a server another suite runs never finds dist/web half empty.
        const next = `${OUT}.next-${process.pid}`;
        const old = `${OUT}.old-${process.pid}`;
        execFileSync('npm', ['run', 'build:web', '--silent', '--', '--outDir', next, '--emptyOutDir'], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
          // Jest sets NODE_ENV=test, which would make Vite bundle React's development build.
          env: { ...process.env, NODE_ENV: 'production' },
        });
        if (fs.existsSync(OUT)) fs.renameSync(OUT, old);
        fs.renameSync(next, OUT);
        fs.rmSync(old, { recursive: true, force: true });
      }
      return OUT;
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
