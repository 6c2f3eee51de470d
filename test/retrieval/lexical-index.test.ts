import { LexicalIndex, topK } from '../../src/retrieval/lexical-index';
import { tokenize } from '../../src/retrieval/tokenize';

const docs = [
  'How to deploy billing-gateway with deployctl and a canary',
  'Rolling back a bad deploy: deployctl rollback to the previous revision',
  'Rotate the billing-db credentials in Vault, then reload PgBouncer',
  '双十一期间连接池耗尽的复盘',
  'Lunch menu for Friday',
].map((t, i) => ({ id: 100 + i, tokens: tokenize(t) }));

describe('LexicalIndex', () => {
  const index = LexicalIndex.build(docs);

  it('ranks the document that holds the rare query terms first', () => {
    const hits = index.search(tokenize('rollback deployctl').map((term) => ({ term, weight: 1 })), 3);
    expect(index.docIds[hits[0].doc]).toBe(101);
  });

  it('finds Chinese text by bigrams', () => {
    const hits = index.search(tokenize('连接池').map((term) => ({ term, weight: 1 })), 3);
    expect(index.docIds[hits[0].doc]).toBe(103);
  });

  it('applies the allow filter', () => {
    const hits = index.search([{ term: 'deployctl', weight: 1 }], 5, (d) => index.docIds[d] !== 101);
    expect(hits.map((h) => index.docIds[h.doc])).toEqual([100]);
  });

  it('reports coverage of the query terms in a document', () => {
    const q = tokenize('rotate vault credentials').map((term) => ({ term, weight: 1 }));
    expect(index.coverage(q, 2)).toBeCloseTo(1);
    expect(index.coverage(q, 4)).toBe(0);
  });

  it('round-trips through its binary form', () => {
    const copy = LexicalIndex.deserialize(index.serialize());
    const q = [{ term: 'vault', weight: 1 }];
    expect(copy.search(q, 1)).toEqual(index.search(q, 1));
    expect(copy.vocabularySize).toBe(index.vocabularySize);
  });

  it('detects a truncated file', () => {
    const buf = index.serialize();
    expect(() => LexicalIndex.deserialize(buf.subarray(0, buf.length - 7), 'lexical.bin')).toThrow(/lexical.bin is corrupt/);
  });

  it('learns term associations from co-occurrence', () => {
    const corpus = LexicalIndex.build(
      Array.from({ length: 40 }, (_, i) => ({
        id: i,
        tokens: tokenize(i % 4 === 0 ? 'rollback revision deployctl undo' : i % 4 === 1 ? 'rollback revision previous' : `filler words number ${i}`),
      })),
    );
    expect(corpus.associations('rollback').map((a) => a.term)).toContain('revision');
  });
});

describe('topK', () => {
  it('returns the k best in order', () => {
    const items = [5, 1, 9, 3, 7].map((score) => ({ score }));
    expect(topK(items, 3).map((i) => i.score)).toEqual([9, 7, 5]);
  });
});
