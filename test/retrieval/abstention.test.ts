import { ABSTENTION, decide, relevanceOf, type AbstentionSignals } from '../../src/retrieval/abstention';

const base: AbstentionSignals = { coverage: 0, rareCoverage: 0, margin: 0, strength: 0, agreement: 0.5, similarity: 0, missing: 0 };

describe('abstention', () => {
  it('declines below the decline point, hedges in the middle band, answers plainly above', () => {
    expect(decide(ABSTENTION.decline - 0.01)).toEqual({ grounded: false, confidence: 'low' });
    expect(decide((ABSTENTION.decline + ABSTENTION.high) / 2)).toEqual({ grounded: true, confidence: 'low' });
    expect(decide(ABSTENTION.high)).toEqual({ grounded: true, confidence: 'high' });
  });

  it('weighs several signals: a clear lexical winner is answered, absent terms and no evidence are declined', () => {
    const strong = relevanceOf({ ...base, coverage: 1, rareCoverage: 1, margin: 0.6, strength: 0.7 });
    const nothing = relevanceOf({ ...base, missing: 0.8 });
    expect(decide(strong)).toEqual({ grounded: true, confidence: 'high' });
    expect(decide(nothing).grounded).toBe(false);
    // Same lexical evidence, but the term that says what the question is about is absent.
    expect(relevanceOf({ ...base, margin: 0.3, strength: 0.3, missing: 0.6 })).toBeLessThan(relevanceOf({ ...base, margin: 0.3, strength: 0.3 }));
  });
});
