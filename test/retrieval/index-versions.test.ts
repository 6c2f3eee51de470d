import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { collectVersions, createVersion, indexRoot, publishVersion, readPointer, VERSION_GRACE_MS } from '../../src/retrieval/index-versions';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';
import { until } from '../helpers/wait';

const BIN = path.resolve(__dirname, '../../bin/understudy.js');
const ROLLBACK = '# Rollback\n\nRoll back first, debug later: `deployctl rollback billing-gateway --to v2.14.2`.\n';
const PAGER = '# On-call\n\nHand over the pager on Monday at 10:00 to the next engineer.\n';

function service(root: string): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
}

/** The contents of every file under `dir`, to show a published version is never written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir)) out[name] = fs.readFileSync(path.join(dir, name)).toString('base64');
  return out;
}


/** Search lz for the rollback runbook over and over until stopped, counting searches and failures. */
function searchLoop(svc: AvatarService): { searches: number; failures: unknown[]; stop: () => Promise<void> } {
  let stopped = false;
  const state = { searches: 0, failures: [] as unknown[], stop: async () => undefined as void };
  const running = (async () => {
    while (!stopped) {
      try {
        const r = await svc.index('lz').search('deployctl rollback billing-gateway');
        if (r.hits[0]?.chunk.source !== 'rollback.md') state.failures.push(new Error(`top hit ${r.hits[0]?.chunk.source}`));
        state.searches++;
      } catch (err) {
        state.failures.push(err);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  state.stop = async () => {
    stopped = true;
    await running;
  };
  return state;
}

describe('avatar index versions', () => {
  it('an ingest publishes a new version beside the old one and never writes a published version', async () => {
    const root = tmpDir('versions-');
    const dir = makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    const svc = service(root);
    await svc.ingest('lz');
    const first = svc.index('lz').files.dir;
    const before = snapshot(first);
    write(dir, 'corpus/oncall.md', PAGER);
    await svc.ingest('lz');
    const second = svc.index('lz').files.dir;
    expect(second).not.toBe(first);
    expect(snapshot(first)).toEqual(before);
    expect(readPointer(indexRoot(path.join(root, 'data'), 'lz'))).toMatchObject({ version: path.basename(second), previous: path.basename(first) });
    expect((await svc.index('lz').search('hand over the pager monday')).hits[0]?.chunk.source).toBe('oncall.md');
    // Nothing changed: nothing is published.
    await svc.ingest('lz');
    expect(svc.index('lz').files.dir).toBe(second);
    svc.close();
  });

  it('a version being written is invisible: readers keep the published one until the pointer moves', async () => {
    const root = tmpDir('versions-half-');
    makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    const svc = service(root);
    await svc.ingest('lz');
    const published = svc.index('lz').version;
    const idxRoot = indexRoot(path.join(root, 'data'), 'lz');
    // A build in progress: a truncated chunk store and no manifest yet.
    const { dir } = createVersion(idxRoot);
    fs.writeFileSync(path.join(dir, 'chunks.db'), 'SQLite format 3\0 half');
    const reader = service(root);
    expect(reader.index('lz').version).toBe(published);
    expect((await reader.index('lz').search('deployctl rollback')).hits[0]?.chunk.source).toBe('rollback.md');
    reader.close();
    svc.close();
  });

  it('keeps the previous version always and older ones for the grace period after they were superseded', async () => {
    const root = tmpDir('versions-gc-');
    const dir = makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    const svc = service(root);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      write(dir, `corpus/note${i}.md`, `# Note ${i}\n\nThe code word is zebra${i}.\n`);
      await svc.ingest('lz');
      seen.push(svc.index('lz').version as string);
    }
    const idxRoot = indexRoot(path.join(root, 'data'), 'lz');
    const present = (): string[] => fs.readdirSync(idxRoot).filter((n) => n.startsWith('v')).sort();
    // Within the grace period every version stays (a reader elsewhere may still use it).
    expect(present()).toEqual(seen);
    expect(collectVersions(idxRoot, { now: Date.now() + VERSION_GRACE_MS + 60_000 })).toHaveLength(2);
    expect(present()).toEqual(seen.slice(2));
    svc.close();
  });

  it('another handle on the same data dir serves a newly published version while searching in a loop, and no search fails', async () => {
    const root = tmpDir('versions-live-');
    const dir = makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    const writer = service(root);
    await writer.ingest('lz');
    const reader = service(root);
    expect((await reader.index('lz').search('deployctl rollback')).hits[0]?.chunk.source).toBe('rollback.md');

    const loop = searchLoop(reader);
    let latest: string | undefined;
    try {
      for (let i = 0; i < 3; i++) {
        write(dir, `corpus/rota${i}.md`, `# Rota ${i}\n\nWeek ${i} of the rota: ${['Alice', 'Bohdan', 'Chiara'][i]} carries the ${['amber', 'violet', 'crimson'][i]} pager.\n`);
        await writer.ingest('lz');
      }
      latest = writer.index('lz').version;
      await until(() => reader.index('lz').version === latest);
    } finally {
      await loop.stop();
    }
    expect((await reader.index('lz').search('Chiara crimson pager')).hits[0]?.chunk.source).toBe('rota2.md');
    expect(loop.failures).toEqual([]);
    expect(loop.searches).toBeGreaterThan(0);
    expect(reader.index('lz').version).toBe(latest);
    reader.close();
    writer.close();
  }, 60_000);

  it('a version published by another process (understudy ingest) is served by a running service searching in a loop', async () => {
    const root = tmpDir('versions-process-');
    const dir = makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    const bot = service(root);
    await bot.ingest('lz');
    const before = bot.index('lz').version;
    const loop = searchLoop(bot);
    try {
      write(dir, 'corpus/rota.md', '# Rota\n\nChiara carries the crimson pager this week.\n');
      const child = spawn(process.execPath, [BIN, 'ingest', 'lz'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: 'ignore' });
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
      const published = readPointer(indexRoot(path.join(root, 'data'), 'lz'))?.version;
      expect(published).not.toBe(before);
      await until(() => bot.index('lz').version === published);
    } finally {
      await loop.stop();
    }
    expect(loop.failures).toEqual([]);
    expect(loop.searches).toBeGreaterThan(0);
    expect((await bot.index('lz').search('Chiara crimson pager')).hits[0]?.chunk.source).toBe('rota.md');
    bot.close();
  }, 60_000);

  it('publishes only over the expected version (a repair never undoes a newer build)', () => {
    const idxRoot = path.join(tmpDir('versions-cas-'), 'indexes', 'lz');
    const a = createVersion(idxRoot);
    expect(publishVersion(idxRoot, a.version, { expected: undefined })?.version).toBe(a.version);
    const b = createVersion(idxRoot);
    const c = createVersion(idxRoot);
    expect(publishVersion(idxRoot, b.version, { expected: a.version })?.version).toBe(b.version);
    expect(publishVersion(idxRoot, c.version, { expected: a.version })).toBeUndefined();
    expect(readPointer(idxRoot)?.version).toBe(b.version);
  });
});
