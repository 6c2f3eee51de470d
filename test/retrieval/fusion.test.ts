import { filesOf, fuseFiles, lexicalShare } from '../../src/retrieval/fusion';

describe('file fusion', () => {
  it('scores a file by its best chunk plus a share of its second', () => {
    const fileOf = (id: number): number => Math.floor(id / 10);
    const files = filesOf(
      [
        { id: 10, score: 5 },
        { id: 20, score: 4 },
        { id: 21, score: 3.9 },
      ],
      fileOf,
      0.3,
    );
    expect(files.map((f) => [f.file, f.best])).toEqual([
      [2, 20],
      [1, 10],
    ]);
    expect(files[0].score).toBeCloseTo(5.17);
  });

  it('fuses rankings by reciprocal rank, weighted', () => {
    const a = { name: 'lexical', weight: 1, files: [{ file: 1, score: 9, best: 10 }, { file: 2, score: 8, best: 20 }] };
    const b = { name: 'semantic', weight: 2, files: [{ file: 2, score: 0.9, best: 21 }] };
    const fused = fuseFiles([a, b], 15);
    expect(fused.map((f) => f.file)).toEqual([2, 1]);
    expect(fused[0].ranks).toEqual({ lexical: 2, semantic: 1 });
  });
});

describe('lexicalShare (the lexical ranker when the words failed)', () => {
  it('keeps the whole lexical weight when the best chunk holds enough of the question', () => {
    expect(lexicalShare(0.3, 1, 0.3)).toBe(1);
    expect(lexicalShare(0.9, 1, 0.3)).toBe(1);
  });

  it('shrinks it linearly to nothing as coverage falls to zero on an English corpus', () => {
    expect(lexicalShare(0.15, 1, 0.3)).toBeCloseTo(0.5);
    expect(lexicalShare(0, 1, 0.3)).toBe(0);
  });

  it('leaves mixed and Chinese corpora nearly alone (English share^8)', () => {
    // A corpus two thirds English: 0.65^8 = 0.03, so the lexical ranker keeps 97% at coverage 0.
    expect(lexicalShare(0, Math.pow(0.65, 8), 0.3)).toBeCloseTo(0.968, 2);
    expect(lexicalShare(0, 0, 0.3)).toBe(1);
  });
});
