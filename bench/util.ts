import path from 'node:path';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../src/log';
import { createRuntime, type Runtime } from '../src/app/runtime';
import { serve, type ServeHandle } from '../src/serve';
import fs from 'node:fs';

export const REPO = path.resolve(__dirname, '..', '..');
export const CORPORA = path.resolve(REPO, '..', 'shared', 'corpora');

export function requireCorpora(): void {
  if (!fs.existsSync(CORPORA)) throw new Error(`${CORPORA} is missing: benchmarks read the real corpora in ../shared/corpora`);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Tracks the highest RSS seen while a piece of work runs. */
export function peakRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 / 1024);
    },
  };
}

/** A small seeded PRNG so every run builds the same synthetic corpus. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Row = Record<string, string | number>;

/** Serve the avatars under `root` on a loopback port, silently, with rate limits out of the way. */
export async function startBenchServer(root: string, env: Record<string, string>): Promise<{ runtime: Runtime; handle: ServeHandle }> {
  const full = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UNDERSTUDY_RATE_USER_PER_MIN: '100000', UNDERSTUDY_RATE_WORKSPACE_PER_MIN: '1000000', ...env };
  const runtime = createRuntime(full, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
  const sink = new PassThrough();
  sink.resume();
  const handle = await serve(runtime, { stdout: sink, stderr: sink, stdin: new PassThrough(), env: full, cwd: root, isTTY: false }, { interactive: false });
  return { runtime, handle };
}
