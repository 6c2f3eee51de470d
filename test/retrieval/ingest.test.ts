import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { langchainEmbedderFactory, localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';
import { PLANTED } from '../helpers/planted';

function service(root: string, embedders = localEmbedderFactory()): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders, store: new SqliteStateStore(':memory:') });
}

const DEPLOY = '# Deploy billing-gateway\n\nRun `deployctl release billing-gateway --env prod`. Canary steps: 5% for 10 minutes, then 25%, 50%, 100%.\n';
const ROLLBACK = '# Rollback\n\nIf it touches money, roll back first and debug later: `deployctl rollback billing-gateway --to v2.14.2`.\n';

/** Two runbooks ingested and the service closed: what a restarted process finds on disk. */
async function ingestedTwoDocs() {
  const root = tmpDir();
  makeAvatar(root, 'lz', { 'deploy.md': DEPLOY, 'rollback.md': ROLLBACK });
  const svc = service(root);
  await svc.ingest('lz');
  const files = svc.index('lz').files;
  svc.close();
  return { root, files };
}

describe('ingestAvatar', () => {
  it('re-ingests only changed files and removes deleted ones', async () => {
    const root = tmpDir();
    const dir = makeAvatar(root, 'lz', { 'deploy.md': DEPLOY, 'rollback.md': ROLLBACK });
    const svc = service(root);
    const first = await svc.ingest('lz');
    expect(first).toMatchObject({ filesRead: 2, filesUnchanged: 0, totalChunks: 2 });
    const again = await svc.ingest('lz');
    expect(again).toMatchObject({ filesRead: 0, filesUnchanged: 2, chunksAdded: 0, totalChunks: 2 });
    write(dir, 'corpus/rollback.md', `${ROLLBACK}\nNever roll back a migration.\n`);
    fs.rmSync(path.join(dir, 'corpus/deploy.md'));
    write(dir, 'corpus/oncall.md', '# On-call\n\nHand over on Monday at 10:00.\n');
    const third = await svc.ingest('lz');
    expect(third).toMatchObject({ filesRead: 2, filesUnchanged: 0, filesRemoved: 1, totalChunks: 2 });
    const hits = (await svc.index('lz').search('deployctl release canary')).hits;
    expect(hits.map((h) => h.chunk.source)).not.toContain('deploy.md');
    expect((await svc.index('lz').search('hand over monday')).hits[0].chunk.source).toBe('oncall.md');
    svc.close();
  });

  it('reloads a Slack export indexed before its messages were keyed by day file, though its bytes did not change', async () => {
    const root = tmpDir();
    const slack = {
      'acme/users.json': JSON.stringify([{ id: 'U1', name: 'lz' }]),
      'acme/channels.json': JSON.stringify([{ id: 'C1', name: 'general' }]),
      'acme/general/2025-11-11.json': JSON.stringify([{ type: 'message', user: 'U1', text: 'canary first, always', ts: '1762826400.000100' }]),
      'acme/general/2025-11-12.json': JSON.stringify([{ type: 'message', user: 'U1', text: 'rollback drill on Friday', ts: '1762912800.000100' }]),
    };
    const dir = makeAvatar(root, 'lz', { 'deploy.md': DEPLOY, ...slack });
    const svc = service(root);
    await svc.ingest('lz');
    const { chunks } = svc.index('lz').files;
    svc.close();
    // What an index built before looks like: channel sources, and the entry's hash over its bytes alone.
    const bytesOnly = (rels: string[]): string => {
      const h = crypto.createHash('sha256');
      for (const rel of [...rels].sort()) h.update(`${rel}\0`).update(fs.readFileSync(path.join(dir, 'corpus/acme', rel))).update('\0');
      return h.digest('hex');
    };
    const db = new Database(chunks);
    db.prepare("UPDATE chunks SET source = 'acme/general' WHERE source LIKE 'acme/%'").run();
    db.prepare("UPDATE entries SET hash = ? WHERE path = 'acme'").run(bytesOnly(Object.keys(slack).map((k) => k.slice('acme/'.length))));
    db.close();
    const after = service(root);
    const report = await after.ingest('lz');
    expect(report).toMatchObject({ filesRead: 1, filesUnchanged: 1 });
    expect(after.index('lz').chunkStore().sourceCounts().map((c) => c.source).sort()).toEqual(['acme/general/2025-11-11', 'acme/general/2025-11-12', 'deploy.md']);
    after.close();
  });

  it('survives a crash between the chunk store commit and the index files: the next load repairs them', async () => {
    const { root, files } = await ingestedTwoDocs();
    // Simulate a kill after the transaction: index files from an older generation, or gone.
    fs.writeFileSync(files.manifest, JSON.stringify({ version: 1, generation: 0 }));
    fs.rmSync(files.vectors);
    const after = service(root);
    const res = await after.index('lz').search('roll back first');
    expect(res.hits[0].chunk.source).toBe('rollback.md');
    after.close();
  });

  it('detects a truncated vector file and rebuilds it from the chunk store', async () => {
    const { root, files } = await ingestedTwoDocs();
    fs.truncateSync(files.vectors, 100);
    const after = service(root);
    expect((await after.index('lz').search('canary steps')).hits[0].chunk.source).toBe('deploy.md');
    after.close();
  });

  it('refuses to mix embedders and says how to rebuild', async () => {
    const root = tmpDir();
    makeAvatar(root, 'lz', { 'deploy.md': DEPLOY });
    const svc = service(root);
    await svc.ingest('lz');
    svc.close();
    const fake = { embedDocuments: async (t: string[]) => t.map(() => [1, 0, 0]), embedQuery: async () => [1, 0, 0] };
    const other = service(root, langchainEmbedderFactory('openai:text-embedding-3-small', fake));
    await expect(other.index('lz').search('deploy')).rejects.toThrow(/built with embedder local-hash-v1:384.*understudy ingest lz --rebuild/);
    await expect(other.ingest('lz')).rejects.toThrow(/--rebuild/);
    const rebuilt = await other.ingest('lz', { rebuild: true });
    expect(rebuilt.embedder).toBe('openai:text-embedding-3-small');
    other.close();
  });

  it('works with an empty corpus and says there is no material', async () => {
    const root = tmpDir();
    makeAvatar(root, 'empty', {});
    const svc = service(root);
    expect(await svc.ingest('empty')).toMatchObject({ totalChunks: 0 });
    const a = await svc.ask('empty', { question: 'How do I deploy?', viewer: LOCAL_VIEWER, conversation: 'c', actor: 'test' });
    expect(a.grounded).toBe(false);
    expect(a.text).toMatch(/no material/);
    svc.close();
  });

  it('reports skipped files and parse errors, and still ingests the rest', async () => {
    const root = tmpDir();
    makeAvatar(root, 'lz', { 'deploy.md': DEPLOY, 'broken.json': '{"items": [', 'tool.bin': Buffer.from([0, 1, 2, 0]) });
    const r = await service(root).ingest('lz');
    expect(r.totalChunks).toBe(1);
    expect(r.errors).toEqual([expect.objectContaining({ path: 'broken.json', message: expect.stringMatching(/invalid JSON at line 1/) })]);
    expect(r.skipped).toEqual([{ path: 'tool.bin', reason: 'binary file with no loader' }]);
  });

  it('never lets a planted secret or personal datum reach the chunk store, the index files, search or an answer', async () => {
    const root = tmpDir();
    const body = PLANTED.map((p) => p.context.replace('{}', p.value)).join('\n\n');
    makeAvatar(root, 'leaky', { 'notes/ops.md': `# Ops notes\n\n${body}\n`, 'mail/keys.eml': `Message-ID: <k@x>\nFrom: a@b.example\nSubject: keys\nDate: Mon, 1 Dec 2025 10:00:00 +0000\n\n${body}\n` });
    const svc = service(root);
    const report = await svc.ingest('leaky');
    expect(Object.values(report.redactions).reduce((a, b) => a + (b ?? 0), 0)).toBeGreaterThanOrEqual(100);
    const files = svc.index('leaky').files;
    const raw = [files.chunks, files.lexical, files.vectors].map((f) => fs.readFileSync(f).toString('latin1')).join('\n') + fs.readFileSync(files.chunks).toString('utf8');
    const answers: string[] = [];
    for (const q of ['S3 uploader key', 'Stripe live key', '值班电话', 'PgBouncer connects', 'KYC ticket', 'sandbox card', 'DB_PASSWORD staging']) {
      const res = await svc.index('leaky').search(q, { k: 10 });
      expect(res.hits.length).toBeGreaterThan(0);
      answers.push(JSON.stringify(res.hits.map((h) => h.chunk)));
      answers.push(JSON.stringify(await svc.ask('leaky', { question: q, viewer: LOCAL_VIEWER, conversation: `c-${q}`, actor: 't' })));
    }
    for (const p of PLANTED) {
      const needle = p.value.split('\n')[0];
      expect(raw).not.toContain(needle);
      for (const a of answers) expect(a).not.toContain(needle);
    }
    svc.close();
  });
});
