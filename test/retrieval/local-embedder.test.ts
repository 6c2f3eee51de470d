import { LocalEmbedder } from '../../src/retrieval/local-embedder';

function cos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('LocalEmbedder', () => {
  const e = new LocalEmbedder();

  it('is deterministic and L2-normalised', async () => {
    const [a] = await e.embedDocuments(['roll back the deploy']);
    const b = await e.embedQuery('roll back the deploy');
    expect(a).toEqual(b);
    expect(cos(a, a)).toBeCloseTo(1, 5);
  });

  it('puts paraphrases closer than unrelated text', () => {
    const q = e.embed('how do I undo a bad release?');
    const related = e.embed('Rollback: if the canary deploy fails, roll back to the previous revision');
    const unrelated = e.embed('Team lunch is on Friday at the noodle place');
    expect(cos(q, related)).toBeGreaterThan(cos(q, unrelated) + 0.1);
  });

  it('matches across Chinese and English through shared concepts', () => {
    const q = e.embed('怎么回滚发布');
    const en = e.embed('How to roll back a deploy of billing-gateway');
    const other = e.embed('Quarterly budget review for marketing');
    expect(cos(q, en)).toBeGreaterThan(cos(q, other));
  });

  it('records its identity with the dimension', () => {
    expect(new LocalEmbedder({ dimensions: 128 }).id).toBe('local-hash-v1:128');
  });
});
