import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { readManifest } from '../../src/retrieval/index-files';
import { indexTokens, TOKENIZER_VERSION, WORD_PREFIX } from '../../src/retrieval/tokenize';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const FILES = {
  'rollback.md': '# Rollback\n\nRoll back first, debug later: `deployctl rollback billing-gateway --to v2.14.2`. Watch the error-rate dashboard afterwards.\n',
  'pool.md': '# Connection pool\n\nThe billing database allows at most 400 connections through pgbouncer. Never raise the pool size during a traffic peak.\n',
  'long.md': `# Handbook\n\n${Array.from({ length: 60 }, (_, i) => `Section ${i}: routine notes about office plants, lunch orders and desk bookings number ${i}.`).join('\n\n')}\n\nThe rollback of the ledger service needs approval from finance.\n`,
  '数据库.md': '# 数据库连接池\n\n数据库连接池的上限是四百个连接，高峰期间不要调大连接池。\n',
};

function service(root: string, log = capturingLogger().log): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:'), log });
}

describe('AvatarIndex.search', () => {
  it('returns one hit per file (best chunk), best file first, with grounded and confidence for the answer layer', async () => {
    const root = tmpDir('search-');
    makeAvatar(root, 'lz', FILES);
    const svc = service(root);
    await svc.ingest('lz');
    const res = await svc.index('lz').search('how do I roll back the billing gateway', { k: 5 });
    expect(res.hits[0].chunk.source).toBe('rollback.md');
    // Each file once while there are files left; then the next best chunks fill up to k.
    const sources = res.hits.slice(0, 4).map((h) => h.chunk.source);
    expect(new Set(sources).size).toBe(4);
    expect(res.grounded).toBe(true);
    expect(['high', 'low']).toContain(res.confidence);
    expect(res.relevance).toBeGreaterThan(0);
    expect(res.signals).toMatchObject({ coverage: expect.any(Number), margin: expect.any(Number), agreement: 0.5 });
    svc.close();
  });

  it('declines a question the corpus has nothing on', async () => {
    const root = tmpDir('search-');
    makeAvatar(root, 'lz', FILES);
    const svc = service(root);
    await svc.ingest('lz');
    const res = await svc.index('lz').search('What is the Kafka topic retention for the clickstream cluster?');
    expect(res.grounded).toBe(false);
    svc.close();
  });

  it('segments Chinese into dictionary words beside bigrams, and finds Chinese text by them', async () => {
    const tokens = indexTokens('数据库连接池的上限');
    expect(tokens).toEqual(expect.arrayContaining([`${WORD_PREFIX}数据库`, `${WORD_PREFIX}连接池`, '数据', '据库']));
    const root = tmpDir('search-');
    makeAvatar(root, 'lz', FILES);
    const svc = service(root);
    await svc.ingest('lz');
    // The index ingest writes holds the words (it must match the tokenizer its manifest names).
    expect(svc.index('lz').load().lexical.df(`${WORD_PREFIX}连接池`)).toBeGreaterThan(0);
    const res = await svc.index('lz').search('连接池上限是多少？');
    expect(res.hits[0].chunk.source).toBe('数据库.md');
    svc.close();
  });

  it('rebuilds an index made with an older tokenizer from the chunk store into a new version, saying why', async () => {
    const root = tmpDir('search-');
    makeAvatar(root, 'lz', FILES);
    const first = service(root);
    await first.ingest('lz');
    const files = first.index('lz').files;
    first.close();
    // An index written before the tokenizer was stamped (v1: bigrams only).
    const manifest = JSON.parse(fs.readFileSync(files.manifest, 'utf8')) as Record<string, unknown>;
    delete manifest.tokenizer;
    fs.writeFileSync(files.manifest, JSON.stringify(manifest));

    const cap = capturingLogger();
    const svc = service(root, cap.log);
    const res = await svc.index('lz').search('连接池上限是多少？');
    expect(res.hits[0].chunk.source).toBe('数据库.md');
    expect(cap.lines().find((l) => String(l.msg).includes('rebuilding'))).toMatchObject({ why: `built with tokenizer v1, now ${TOKENIZER_VERSION}` });
    // The published version is never rewritten: the repair is a new version, published in its place.
    expect(readManifest(files.manifest)?.tokenizer).toBeUndefined();
    expect(svc.index('lz').files.dir).not.toBe(files.dir);
    expect(readManifest(svc.index('lz').files.manifest)?.tokenizer).toBe(TOKENIZER_VERSION);
    svc.close();
  });
});
