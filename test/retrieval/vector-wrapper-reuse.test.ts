import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { createRuntime } from '../../src/app/runtime';
import { silentLogger } from '../../src/log';
import { vectorWrapperStats, VectorIndex, type VectorFileStamp } from '../../src/retrieval/vector-index';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

/**
 * A closed VectorIndex hands its hnswlib-node wrapper (with a 2.5 MB placeholder graph of label
 * locks) to the next load of its dimensions instead of leaving it for V8 to collect: loads and
 * unloads of distinct indexes keep a bounded number of native wrappers, a reused wrapper answers
 * from the file it loaded, and a search holding an index that is being unloaded never meets a
 * reused wrapper.
 */

/** A deterministic unit vector of `dims` dimensions for `seed`. */
function vec(seed: number, dims: number): number[] {
  const v = Array.from({ length: dims }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453 % 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function saved(dir: string, name: string, dims: number, labels: number[]): { file: string; stamp: VectorFileStamp } {
  const idx = VectorIndex.create(dims, labels.length);
  for (const l of labels) idx.add(l, vec(l, dims));
  const file = path.join(dir, `${name}.hnsw`);
  const stamp = idx.save(file);
  idx.close();
  return { file, stamp };
}

describe('closed vector wrappers are reused by the next load', () => {
  it('answers from the newly loaded file, not the graph the wrapper held before', () => {
    const dir = tmpDir('wrapper-reuse-');
    const dims = 12;
    const a = saved(dir, 'a', dims, [1, 2, 3, 4, 5]);
    const b = saved(dir, 'b', dims, Array.from({ length: 40 }, (_, i) => 1000 + i));
    const first = VectorIndex.load(a.file, dims, a.stamp);
    expect(first.search(vec(3, dims), 1)[0].label).toBe(3);
    first.close();
    const before = vectorWrapperStats();
    const second = VectorIndex.load(b.file, dims, b.stamp);
    expect(vectorWrapperStats().reused).toBe(before.reused + 1);
    expect(vectorWrapperStats().created).toBe(before.created);
    expect(second.count).toBe(40);
    const hit = second.search(vec(1017, dims), 1)[0];
    expect(hit.label).toBe(1017);
    expect(hit.similarity).toBeCloseTo(1, 5);
    // Labels of the old graph are gone; nothing from it answers.
    expect(second.search(vec(3, dims), 40).every((h) => h.label >= 1000)).toBe(true);
    // The graph read into a reused wrapper grows and updates like any other.
    for (let l = 2000; l < 2100; l++) second.add(l, vec(l, dims));
    second.remove(1017);
    expect(second.count).toBe(140);
    expect(second.search(vec(2050, dims), 1)[0].label).toBe(2050);
    expect(second.search(vec(1017, dims), 5).some((h) => h.label === 1017)).toBe(false);
    // The closed index no longer reaches the wrapper it gave away.
    expect(() => first.search(vec(3, dims), 1)).toThrow(/closed/);
    second.close();
  });

  it('keeps the number of native wrappers bounded over many loads and unloads of distinct indexes', () => {
    const dir = tmpDir('wrapper-bound-');
    const dims = 16;
    const files = Array.from({ length: 30 }, (_, i) => saved(dir, `i${i}`, dims, [i * 10 + 1, i * 10 + 2, i * 10 + 3]));
    const before = vectorWrapperStats();
    const held: VectorIndex[] = [];
    for (const [i, f] of files.entries()) {
      const idx = VectorIndex.load(f.file, dims, f.stamp);
      expect(idx.search(vec(i * 10 + 2, dims), 1)[0].label).toBe(i * 10 + 2);
      held.push(idx);
      // Hold three at a time, like a budget: the least recent is unloaded.
      if (held.length > 3) held.shift()?.close();
    }
    const after = vectorWrapperStats();
    // Without reuse, each of the 30 loads made a wrapper (27 closed ones waiting for the collector).
    expect(after.created - before.created).toBeLessThanOrEqual(4);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(26);
    expect(after.spare).toBeLessThanOrEqual(4);
    for (const idx of held) idx.close();
    // More closes than loads: the spares stay bounded, the rest go to the collector.
    for (let i = 0; i < 8; i++) VectorIndex.create(dims, 4).close();
    expect(vectorWrapperStats().spare).toBeLessThanOrEqual(4);
  });

  it('reads a file it has not loaded or written before into a fresh wrapper: a failed load leaves no wrapper with a freed graph (it crashed the process at exit)', () => {
    const dir = tmpDir('wrapper-broken-');
    const dims = 20;
    const good = saved(dir, 'good', dims, [7, 8, 9]);
    // A file with a valid stamp that hnswlib rejects: a header of zeros and trailing bytes.
    const bad = path.join(dir, 'bad.hnsw');
    const junk = Buffer.alloc(300);
    fs.writeFileSync(bad, junk);
    const badStamp = { bytes: junk.length, crc32: zlib.crc32(junk) };
    VectorIndex.create(dims, 4).close();
    const before = vectorWrapperStats();
    expect(before.spare).toBeGreaterThan(0);
    expect(() => VectorIndex.load(bad, dims, badStamp)).toThrow(/corrupt/);
    const after = vectorWrapperStats();
    expect(after.broken).toBe(before.broken);
    expect(after.reused).toBe(before.reused);
    expect(after.created).toBe(before.created + 1);
    expect(after.spare).toBe(before.spare);
    // A file written here is known: its load takes the spare.
    const idx = VectorIndex.load(good.file, dims, good.stamp);
    expect(vectorWrapperStats().reused).toBe(after.reused + 1);
    expect(idx.search(vec(8, dims), 1)[0].label).toBe(8);
    idx.close();
    expect(vectorWrapperStats().broken).toBe(0);
  });
});

const FACTS: Record<string, string> = {
  'ava-one': '# Rollback\n\nRoll back billing-gateway with deployctl rollback before debugging.\n',
  'ava-two': '# Pricing\n\nThe PLUS membership costs 99 yuan in the first year.\n',
  'ava-three': '# Oncall\n\nThe oncall rota changes every Monday at ten.\n',
  'ava-four': '# Lunch\n\nThe canteen serves dumplings on Thursdays.\n',
};
const QUESTIONS: Record<string, [string, RegExp]> = {
  'ava-one': ['how do I roll back billing-gateway?', /deployctl rollback/],
  'ava-two': ['what does PLUS cost?', /99 yuan/],
  'ava-three': ['when does the oncall rota change?', /Monday at ten/],
  'ava-four': ['what does the canteen serve on Thursdays?', /dumplings/],
};

describe('avatar indexes unloaded under the memory budget', () => {
  it('reuse wrappers across many evictions, each avatar answering its own facts, and a search during eviction finishes', async () => {
    const root = tmpDir('wrapper-hub-');
    for (const [slug, text] of Object.entries(FACTS)) makeAvatar(root, slug, { 'notes.md': text });
    // About 3.6 MB per index: 8 MB hold two of the four.
    const rt = createRuntime({ UNDERSTUDY_INDEX_MEMORY_MB: '8' }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    try {
      const { service } = rt;
      for (const slug of Object.keys(FACTS)) await service.ingest(slug);
      const ask = (slug: string) => service.ask(slug, { question: QUESTIONS[slug][0], viewer: LOCAL_VIEWER, conversation: `test:${slug}`, actor: 'test:U1' });
      const slugs = Object.keys(FACTS);
      await ask(slugs[0]);
      await ask(slugs[1]);
      const before = vectorWrapperStats();
      const evictionsBefore = service.indexMemory.stats().evictions;
      for (let round = 0; round < 5; round++) {
        for (const slug of slugs) {
          // A search holding this avatar's index while others' questions unload it and reuse wrappers.
          const index = service.index(slug);
          const running = index.search(QUESTIONS[slug][0], { k: 3 });
          const others = slugs.filter((s) => s !== slug);
          await Promise.all(others.map((s) => ask(s)));
          expect((await running).hits[0]?.chunk.text).toMatch(QUESTIONS[slug][1]);
          expect((await ask(slug)).text).toMatch(QUESTIONS[slug][1]);
        }
      }
      const after = vectorWrapperStats();
      expect(service.indexMemory.stats().evictions - evictionsBefore).toBeGreaterThan(40);
      expect(after.reused - before.reused).toBeGreaterThan(40);
      // Two held, at most four spare, and the ones closed only when their running search ended.
      expect(after.created - before.created).toBeLessThanOrEqual(6);
      expect(after.spare).toBeLessThanOrEqual(4);
      expect(after.broken).toBe(before.broken);
    } finally {
      await rt.close();
    }
  });
});
