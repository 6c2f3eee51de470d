import path from 'node:path';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { silentLogger } from '../../src/log';
import { IndexCache } from '../../src/retrieval/index-cache';
import { createRuntime } from '../../src/app/runtime';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const FACTS: Record<string, string> = {
  'ava-one': '# Rollback\n\nRoll back billing-gateway with deployctl rollback before debugging.\n',
  'ava-two': '# Pricing\n\nThe PLUS membership costs 99 yuan in the first year.\n',
  'ava-three': '# Oncall\n\nThe oncall rota changes every Monday at ten.\n',
  'ava-four': '# Releases\n\nReleases go out on Tuesdays behind a five percent canary.\n',
};

describe('the index memory budget (UNDERSTUDY_INDEX_MEMORY_MB)', () => {
  it('keeps only the recently asked avatars loaded, and an unloaded one reloads and answers', async () => {
    const root = tmpDir('index-cache-');
    for (const [slug, text] of Object.entries(FACTS)) makeAvatar(root, slug, { 'notes.md': text });
    // Each small index counts about 3.6 MB (1 MB, and 2.5 MB for its HNSW graph's locks): eight MB hold two of them.
    const rt = createRuntime({ UNDERSTUDY_INDEX_MEMORY_MB: '8' }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    try {
      const { service } = rt;
      for (const slug of Object.keys(FACTS)) await service.ingest(slug);
      const ask = (slug: string, question: string) => service.ask(slug, { question, viewer: LOCAL_VIEWER, conversation: `test:${slug}`, actor: 'test:U1' });

      expect((await ask('ava-one', 'how do I roll back billing-gateway?')).citations[0].source).toBe('notes.md');
      await ask('ava-two', 'what does PLUS cost?');
      await ask('ava-three', 'when does the oncall rota change?');
      expect(service.indexMemory.keys()).toEqual(['ava-two', 'ava-three']);
      const stats = service.indexMemory.stats();
      expect(stats.usedBytes).toBeLessThanOrEqual(stats.budgetBytes);
      expect(stats.evictions).toBeGreaterThan(0);

      // ava-one was unloaded; its next question loads it again (and unloads the least recent, ava-two).
      const again = await ask('ava-one', 'how do I roll back billing-gateway?');
      expect(again.grounded).toBe(true);
      expect(again.text).toMatch(/deployctl rollback/);
      expect(service.indexMemory.keys()).toEqual(['ava-three', 'ava-one']);
    } finally {
      await rt.close();
    }
  });

  it('evicts least recently used first, never the index in use, and holds one larger than the budget alone', () => {
    const evicted: string[] = [];
    const cache = new IndexCache(100);
    const use = (key: string, bytes: number): void => cache.touch(key, () => bytes, () => evicted.push(key));
    use('a', 40);
    use('b', 40);
    use('a', 40); // a is now the most recent
    use('c', 40);
    expect(evicted).toEqual(['b']);
    expect(cache.keys()).toEqual(['a', 'c']);
    use('huge', 500);
    expect(evicted).toEqual(['b', 'a', 'c']);
    expect(cache.keys()).toEqual(['huge']);
    cache.forget('huge');
    expect(cache.stats()).toMatchObject({ held: 0, usedBytes: 0 });
  });
});
