import path from 'node:path';
import { ChatOpenAI } from '@langchain/openai';
import { AvatarService } from '../../src/app/avatar-service';
import { embedderFactoryFor } from '../../src/retrieval/embedders';
import { chatRewriter, parsePhrasings } from '../../src/retrieval/rewrite';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { startFakeOpenAi, wordHashEmbedding, type FakeOpenAi } from '../helpers/fake-openai';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const FILES = {
  'cities.md': '# Cities\n\nNew York tells you to make more money; Cambridge tells you to be smarter.\n',
  'sailing.md': '# Sailing\n\nReef the mainsail before the wind builds: a small sail in a gust keeps the boat upright.\n',
  'bread.md': '# Sourdough\n\nFeed the starter with flour and water every morning.\n',
};

/** A model embedding that knows "richer" and "money" mean the same thing (the local index does not). */
function conceptEmbedding(text: string): number[] {
  const v = wordHashEmbedding(text);
  if (/\b(richer|wealthier|money|rich)\b/i.test(text)) v[0] += 5;
  return v;
}

const REWRITES = '1. reef the mainsail in a gust\n2. keep the boat upright in strong wind\n3. 大风时收帆';

describe('retrieval with a model configured (fake OpenAI-compatible server)', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi(() => REWRITES, { embed: conceptEmbedding });
  });
  afterAll(() => fake.close());

  function service(root: string, log = capturingLogger().log): AvatarService {
    const model = new ChatOpenAI({ model: 'gpt-test', apiKey: 'sk-test', maxRetries: 0, configuration: { baseURL: fake.baseURL } });
    const embedders = embedderFactoryFor({ embeddings: { model: 'text-embedding-3-small', apiKey: 'sk-test', baseURL: fake.baseURL } }, { rewriter: chatRewriter(model, log) });
    return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders, store: new SqliteStateStore(':memory:'), log });
  }

  it("indexes with the model's embeddings (base64 on the wire) and ranks by them", async () => {
    const root = tmpDir('model-retrieval-');
    makeAvatar(root, 'pg', FILES);
    const svc = service(root);
    const report = await svc.ingest('pg');
    expect(report.embedder).toBe('openai:text-embedding-3-small');
    expect(fake.embeddingRequests[0]).toMatchObject({ model: 'text-embedding-3-small', encoding_format: 'base64' });
    const res = await svc.index('pg').search('Which town urges people to get richer?', { k: 3, rewrite: false });
    expect(res.hits[0].chunk.source).toBe('cities.md');
    svc.close();
  });

  it("searches the model's rephrasings too and fuses them", async () => {
    const root = tmpDir('model-retrieval-');
    makeAvatar(root, 'pg', FILES);
    const svc = service(root);
    await svc.ingest('pg');
    const asked = 'How do I stay on my feet on the water when it blows hard?';
    const plain = await svc.index('pg').search(asked, { k: 3, rewrite: false });
    expect(plain.phrasings).toBeUndefined();
    expect(plain.hits[0]?.chunk.source).not.toBe('sailing.md');
    const calls = fake.requests.length;
    const res = await svc.index('pg').search(asked, { k: 3 });
    expect(fake.requests.length).toBe(calls + 1);
    expect(fake.requests[calls].messages[0].content).toMatch(/alternative phrasings/);
    expect(fake.requests[calls].messages[1].content).toBe(asked);
    expect(res.phrasings).toEqual(['reef the mainsail in a gust', 'keep the boat upright in strong wind', '大风时收帆']);
    expect(res.hits[0].chunk.source).toBe('sailing.md');
    svc.close();
  });

  it('searches the question as asked when rewriting fails, and logs why', async () => {
    const root = tmpDir('model-retrieval-');
    makeAvatar(root, 'pg', FILES);
    const cap = capturingLogger();
    const svc = service(root, cap.log);
    await svc.ingest('pg');
    fake.mode = '500';
    try {
      const res = await svc.index('pg').search('reef the mainsail', { k: 3 });
      expect(res.hits[0].chunk.source).toBe('sailing.md');
      expect(res.phrasings).toBeUndefined();
      expect(cap.lines().some((l) => String(l.msg).includes('query rewriting failed') && l.err !== undefined)).toBe(true);
    } finally {
      fake.mode = 'ok';
      svc.close();
    }
  });

  it('takes at most three clean phrasings from a reply', () => {
    expect(parsePhrasings('- a\n\n2) b\nQ\n3. c\n4. d', 'q')).toEqual(['a', 'b', 'c']);
  });
});
