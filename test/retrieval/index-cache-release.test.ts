import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { createRuntime } from '../../src/app/runtime';
import { silentLogger } from '../../src/log';
import { indexFootprint } from '../../src/retrieval/index-cache';
import { hnswBytes, VectorIndex } from '../../src/retrieval/vector-index';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

/**
 * An index unloaded to stay within UNDERSTUDY_INDEX_MEMORY_MB frees its HNSW graph at once
 * (hnswlib-node would free it only when V8 collects a small wrapper it has no reason to collect
 * soon), yet a search already running on it finishes, and the avatar reloads on its next question.
 * Memory figures belong to `npm run bench -- scale`; these check the behaviour.
 */
const FACTS: Record<string, string> = {
  'ava-one': '# Rollback\n\nRoll back billing-gateway with deployctl rollback before debugging.\n',
  'ava-two': '# Pricing\n\nThe PLUS membership costs 99 yuan in the first year.\n',
  'ava-three': '# Oncall\n\nThe oncall rota changes every Monday at ten.\n',
};

function hub(budgetMb: string) {
  const root = tmpDir('index-release-');
  for (const [slug, text] of Object.entries(FACTS)) makeAvatar(root, slug, { 'notes.md': text });
  return createRuntime({ UNDERSTUDY_INDEX_MEMORY_MB: budgetMb }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
}

describe('unloading an index releases its native HNSW graph', () => {
  it('closes the evicted graph (unusable afterwards), and the avatar reloads a new one that answers', async () => {
    // About 3.6 MB per index: 8 MB hold two.
    const rt = hub('8');
    try {
      const { service } = rt;
      for (const slug of Object.keys(FACTS)) await service.ingest(slug);
      const ask = (slug: string, question: string) => service.ask(slug, { question, viewer: LOCAL_VIEWER, conversation: `test:${slug}`, actor: 'test:U1' });
      await ask('ava-one', 'how do I roll back billing-gateway?');
      const graph = service.index('ava-one').load().vectors as VectorIndex;
      expect(graph.closed).toBe(false);

      await ask('ava-two', 'what does PLUS cost?');
      await ask('ava-three', 'when does the oncall rota change?');
      expect(service.indexMemory.keys()).not.toContain('ava-one');
      expect(graph.closed).toBe(true);
      expect(() => graph.search([1, 0, 0], 1)).toThrow(/closed/);

      const again = await ask('ava-one', 'how do I roll back billing-gateway?');
      expect(again.text).toMatch(/deployctl rollback/);
      const reloaded = service.index('ava-one').load().vectors as VectorIndex;
      expect(reloaded).not.toBe(graph);
      expect(reloaded.closed).toBe(false);
    } finally {
      await rt.close();
    }
  });

  it('lets a search running on an index finish before its graph is freed', async () => {
    const rt = hub('1000');
    try {
      const { service } = rt;
      await service.ingest('ava-one');
      const index = service.index('ava-one');
      const graph = index.load().vectors as VectorIndex;
      // The search pauses at its first await (embedding the question) holding the version.
      const running = index.search('roll back billing-gateway', { k: 3 });
      index.close();
      expect(graph.closed).toBe(false);
      const result = await running;
      expect(result.hits[0]?.chunk.text).toMatch(/deployctl rollback/);
      expect(graph.closed).toBe(true);
    } finally {
      await rt.close();
    }
  });

  it('frees a graph replaced by a newly published version', async () => {
    const rt = hub('1000');
    try {
      const { service } = rt;
      await service.ingest('ava-one');
      const before = service.index('ava-one').load().vectors as VectorIndex;
      await service.ingest('ava-one', { rebuild: true });
      await service.index('ava-one').search('roll back billing-gateway', { k: 3 });
      expect(service.index('ava-one').load().vectors).not.toBe(before);
      expect(before.closed).toBe(true);
    } finally {
      await rt.close();
    }
  });

  it('closes a graph once (a second close does nothing) and sizes a 10k-chunk graph at about 22 MB', () => {
    const graph = VectorIndex.create(8, 4);
    graph.add(1, [1, 0, 0, 0, 0, 0, 0, 0]);
    graph.close();
    graph.close();
    expect(graph.closed).toBe(true);
    expect(() => graph.count).toThrow(/closed/);
    // 10k vectors of 384 dimensions: about 22 MB resident (measured), whatever the file says.
    expect(hnswBytes(10_000, 384) / 2 ** 20).toBeGreaterThan(20);
    expect(hnswBytes(10_000, 384) / 2 ** 20).toBeLessThan(24);
  });

  it('counts the HNSW graph an index holds in its footprint (2.5 MB of locks even for one chunk), not just its file', async () => {
    const rt = hub('1000');
    try {
      await rt.service.ingest('ava-one');
      const files = rt.service.index('ava-one').files;
      expect(indexFootprint(files)).toBeGreaterThan(hnswBytes(1, 384) + fs.statSync(files.lexical).size);
      expect(fs.statSync(files.vectors).size).toBeLessThan(hnswBytes(1, 384) / 100);
    } finally {
      await rt.close();
    }
  });
});
