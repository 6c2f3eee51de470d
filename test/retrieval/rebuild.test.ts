import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import type { EmbedderFactory } from '../../src/retrieval/embedders';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';
import { until } from '../helpers/wait';

const BIN = path.resolve(__dirname, '../../bin/understudy.js');

function service(root: string, embedders: EmbedderFactory = localEmbedderFactory()): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders, store: new SqliteStateStore(':memory:') });
}

const LEGACY = '# Legacy\n\nThe zanzibar cluster is rebooted with `zctl bounce` every Friday.\n';
const ROLLBACK = '# Rollback\n\nRoll back first, debug later: `deployctl rollback billing-gateway --to v2.14.2`.\n';

/** Enough text that a rebuild takes a moment: ~300 files of pseudo-random words. */
function bulk(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  let seed = 7;
  const word = (): string => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return `w${(seed % 50000).toString(36)}`;
  };
  for (let i = 0; i < n; i++) files[`bulk/doc${i}.md`] = `# Doc ${i}\n\n${Array.from({ length: 900 }, word).join(' ')}\n`;
  return files;
}

/** The version directories under indexes/<slug>/, oldest first. */
function versions(root: string, slug: string): string[] {
  const dir = path.join(root, 'data', 'indexes', slug);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^v\d{13}-[0-9a-f]{8}$/.test(n)).sort() : [];
}

/** Version directories still marked as being built (unpublished). */
function building(root: string, slug: string): string[] {
  return versions(root, slug).filter((v) => fs.existsSync(path.join(root, 'data', 'indexes', slug, v, '.building')));
}

/** Legacy side directories left beside avatars/<slug>/ (the layout before versions). */
function legacyLeftovers(root: string, slug: string): string[] {
  const parent = path.join(root, 'data', 'avatars');
  return fs.existsSync(parent) ? fs.readdirSync(parent).filter((n) => n.startsWith(`${slug}.`)) : [];
}

/** Search until `ok` holds (another process's publication is picked up by a pointer check). */

/** A pid that no process has any more (a child that already exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('ingest --rebuild builds a new index version and publishes it only when complete', () => {
  it('a rebuild killed with SIGKILL mid-way leaves the old index searchable; the next run cleans up and swaps', async () => {
    const root = tmpDir('rebuild-kill-');
    const dir = makeAvatar(root, 'lz', { 'legacy.md': LEGACY, 'rollback.md': ROLLBACK, ...bulk(300) });
    const first = service(root);
    await first.ingest('lz');
    first.close();
    // The corpus changes; the rebuild that would drop legacy.md gets killed.
    fs.rmSync(path.join(dir, 'corpus', 'legacy.md'));
    const child = spawn(process.execPath, [BIN, 'ingest', 'lz', '--rebuild'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/reading files|embedding/.test(stderr)) resolve();
      });
      child.on('exit', () => resolve());
    });
    child.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    // Killed mid-build: its unpublished version is still there, the published one untouched.
    expect(versions(root, 'lz')).toHaveLength(2);
    expect(building(root, 'lz')).toHaveLength(1);
    // `understudy search` (a new process, like a restarted bot) answers from the old index.
    const search = spawnSync(process.execPath, [BIN, 'search', 'lz', 'zanzibar cluster zctl bounce', '--json'], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    expect(search.status).toBe(0);
    expect((JSON.parse(search.stdout) as { source: string }[])[0].source).toBe('legacy.md');

    const after = service(root);
    const old = await after.index('lz').search('zanzibar cluster zctl bounce');
    expect(old.hits[0]?.chunk.source).toBe('legacy.md');
    expect(after.index('lz').count()).toBeGreaterThan(300);
    expect(building(root, 'lz')).toEqual([]);
    expect(versions(root, 'lz')).toHaveLength(1);
    after.close();

    const done = service(root);
    const report = await done.ingest('lz', { rebuild: true });
    expect(report.totalChunks).toBeGreaterThan(300);
    expect((await done.index('lz').search('zanzibar cluster zctl bounce')).hits.map((h) => h.chunk.source)).not.toContain('legacy.md');
    expect((await done.index('lz').search('deployctl rollback billing-gateway')).hits[0].chunk.source).toBe('rollback.md');
    // The new version and the previous one (kept whatever its age).
    expect(versions(root, 'lz')).toHaveLength(2);
    expect(building(root, 'lz')).toEqual([]);
    done.close();
  }, 120_000);

  it('a rebuild that fails (embedder error) keeps the old index and removes its unpublished version', async () => {
    const root = tmpDir('rebuild-fail-');
    makeAvatar(root, 'lz', { 'legacy.md': LEGACY, 'rollback.md': ROLLBACK });
    const svc = service(root);
    await svc.ingest('lz');
    svc.close();
    const local = localEmbedderFactory();
    const failing: EmbedderFactory = {
      id: local.id,
      create(idf) {
        const e = local.create(idf);
        return { id: e.id, embedQuery: (t) => e.embedQuery(t), embedDocuments: async () => Promise.reject(new Error('embedding service went away')) };
      },
    };
    const broken = service(root, failing);
    await expect(broken.ingest('lz', { rebuild: true })).rejects.toThrow(/embedding service went away/);
    broken.close();
    const again = service(root);
    expect((await again.index('lz').search('zanzibar cluster')).hits[0]?.chunk.source).toBe('legacy.md');
    expect(versions(root, 'lz')).toHaveLength(1);
    again.close();
  });

  it('a running service serves the rebuilt index once published, whether it or another process rebuilt', async () => {
    const root = tmpDir('rebuild-live-');
    const dir = makeAvatar(root, 'lz', { 'legacy.md': LEGACY, 'rollback.md': ROLLBACK });
    const bot = service(root);
    await bot.ingest('lz');
    expect((await bot.index('lz').search('zanzibar cluster')).hits[0]?.chunk.source).toBe('legacy.md');

    // Another process (here: another service on the same data dir) rebuilds a changed corpus.
    fs.rmSync(path.join(dir, 'corpus', 'legacy.md'));
    write(dir, 'corpus/oncall.md', '# On-call\n\nHand over the pager on Monday at 10:00.\n');
    const cli = service(root);
    await cli.ingest('lz', { rebuild: true });
    cli.close();
    await until(async () => (await bot.index('lz').search('hand over the pager monday')).hits[0]?.chunk.source === 'oncall.md');
    expect((await bot.index('lz').search('zanzibar cluster')).hits.map((h) => h.chunk.source)).not.toContain('legacy.md');

    // And the bot's own rebuild.
    write(dir, 'corpus/legacy.md', LEGACY);
    await bot.ingest('lz', { rebuild: true });
    expect((await bot.index('lz').search('zanzibar cluster')).hits[0]?.chunk.source).toBe('legacy.md');
    bot.close();
  });

  it('an index in the layout before versions is migrated (after tidying a swap killed between its renames) and searched', async () => {
    const root = tmpDir('rebuild-legacy-');
    makeAvatar(root, 'lz', { 'legacy.md': LEGACY, 'rollback.md': ROLLBACK });
    const svc = service(root);
    await svc.ingest('lz');
    const published = svc.index('lz').files.dir;
    svc.close();
    // Recreate the old layout: avatars/<slug>/ ... as left by a process killed after "live -> old"
    // and before "staging -> live".
    const legacyParent = path.join(root, 'data', 'avatars');
    fs.mkdirSync(legacyParent, { recursive: true });
    const pid = deadPid();
    fs.renameSync(published, path.join(legacyParent, `lz.old-${pid}-a1b2c3`));
    fs.rmSync(path.join(root, 'data', 'indexes'), { recursive: true });
    write(path.join(legacyParent, `lz.rebuild-${pid}-a1b2c3`), 'avatars/lz/chunks.db', 'half written');

    const after = service(root);
    expect((await after.index('lz').search('zanzibar cluster')).hits[0]?.chunk.source).toBe('legacy.md');
    expect(legacyLeftovers(root, 'lz')).toEqual([]);
    expect(fs.existsSync(path.join(legacyParent, 'lz'))).toBe(false);
    expect(versions(root, 'lz')).toHaveLength(1);
    after.close();
  });

  it('destroy (revoke) deletes every version and what the old layout left, so a later start finds nothing', async () => {
    const root = tmpDir('rebuild-revoke-');
    makeAvatar(root, 'lz', { 'legacy.md': LEGACY });
    const bot = service(root);
    await bot.ingest('lz');
    // A build still running elsewhere, and a copy left by the layout before versions.
    write(path.join(root, 'data', 'indexes', 'lz', 'v0000000000001-0d0e0f0a'), '.building', JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    write(path.join(root, 'data', 'avatars', `lz.old-${deadPid()}-0a0b0c`), 'chunks.db', 'old copy');
    bot.index('lz').destroy();
    bot.close();
    expect(versions(root, 'lz')).toEqual([]);
    expect(legacyLeftovers(root, 'lz')).toEqual([]);
    const restarted = service(root);
    expect(restarted.index('lz').exists()).toBe(false);
    expect((await restarted.index('lz').search('zanzibar cluster')).hits).toEqual([]);
    restarted.close();
  });

  it('leaves the unpublished version of a build that is still running alone', async () => {
    const root = tmpDir('rebuild-busy-');
    makeAvatar(root, 'lz', { 'rollback.md': ROLLBACK });
    const svc = service(root);
    await svc.ingest('lz');
    const parent = path.dirname(svc.index('lz').files.dir);
    svc.close();
    // The parent process is alive: its version directory belongs to a build in progress, however old.
    const busy = path.join(parent, 'v0000000000001-d4e5f6a0');
    write(busy, '.building', JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    write(busy, 'chunks.db', 'being written');
    const other = service(root);
    expect((await other.index('lz').search('deployctl rollback')).hits[0]?.chunk.source).toBe('rollback.md');
    expect(fs.existsSync(busy)).toBe(true);
    other.close();
  });
});
