import { completeEvidence, decide, focusFound, namedFound, namedTerms, relevanceOf, semanticSignals } from '../../src/retrieval/abstention';
import { LexicalIndex } from '../../src/retrieval/lexical-index';
import { tokenize } from '../../src/retrieval/tokenize';
import { signalsWith } from '../helpers/abstention-signals';

/** A small corpus: position 0..3 in the lexical index. */
const DOCS = [
  'Rollback: argo rollouts undo billing-gateway, then watch the canary dashboards.',
  'The billing.settlement topic carries settlement entries; the callback topic has 24 partitions.',
  'UNIONPAY client certificate expires 2025-09-30; Liu Yang renews it through the merchant portal.',
  'Weekly notes: invoice drafts are generated within five minutes after payment.',
];
const lexical = LexicalIndex.build(DOCS.map((text, id) => ({ id, tokens: tokenize(text) })));
const terms = (q: string): { term: string; weight: number }[] => [...new Set(tokenize(q))].map((term) => ({ term, weight: 1 }));

describe('focusFound: the question rarest content terms in the top hits', () => {
  it('is 1 when the rarest terms of the question are in a top hit', () => {
    expect(focusFound(lexical, terms('when does the unionpay certificate expire'), [2, 0])).toBe(1);
  });

  it('is 0 when the rarest terms are unknown to the corpus (the near miss asks about what is not there)', () => {
    // "kafka" and "lag" occur nowhere: they are the rarest terms, and no hit holds them.
    expect(focusFound(lexical, terms('kafka lag on the settlement topic'), [1])).toBe(0);
  });

  it('is 0.5 when one of the two rarest is in the hits, and ignores hits that are not indexed', () => {
    expect(focusFound(lexical, terms('settlement kafka'), [undefined, 1])).toBe(0.5);
    expect(focusFound(lexical, [], [1])).toBe(0);
  });
});

describe('namedFound: the named things of the question in the top hits', () => {
  it('counts the named terms (capitalised inside a sentence, with digits) that a top hit holds', () => {
    const named = namedTerms('When does the UNIONPAY certificate expire, per Liu Yang?');
    expect(named.has('unionpay')).toBe(true);
    expect(namedFound(lexical, named, [2])).toBe(1);
    expect(namedFound(lexical, named, [0, 1])).toBe(0);
  });

  it('is below 1 when the question names a version or year the hits lack, and 1 when it names nothing', () => {
    expect(namedFound(lexical, namedTerms('Which partitions did billing.settlement get in 2026?'), [1])).toBeLessThan(1);
    expect(namedFound(lexical, namedTerms('how do we roll back a release?'), [0])).toBe(1);
  });
});

describe('semanticSignals: USE ranker beside the lexical one', () => {
  const files = (...scores: number[]): { file: number; score: number; best: number }[] => scores.map((score, i) => ({ file: i + 10, score, best: i }));

  it('is neutral without a semantic ranker', () => {
    expect(semanticSignals(files(3, 1), undefined)).toEqual({ topAgreement: 0.5, semanticOn: 0, semanticLift: 0, semanticTop: 0 });
  });

  it('says whether both rankers put the same file first, and how far the best semantic file stands out', () => {
    const sharp = semanticSignals(files(3, 1), files(0.9, 0.3, 0.32, 0.28, 0.3));
    const flat = semanticSignals(files(3, 1), [{ file: 99, score: 0.35, best: 9 }, ...files(0.34, 0.33, 0.32, 0.31)]);
    expect(sharp.topAgreement).toBe(1);
    expect(flat.topAgreement).toBe(0);
    expect(sharp.semanticTop).toBeCloseTo(0.9);
    expect(sharp.semanticLift).toBeGreaterThan(flat.semanticLift);
    expect(sharp.semanticOn).toBe(1);
  });
});

describe('the fitted model on the new signals', () => {
  const base = signalsWith({ coverage: 0.6, rareCoverage: 0.6, contentCoverage: 0.6, presentCoverage: 0.6 });

  it('rates a question lower when the hits lack what it names, lower still when the corpus lacks it', () => {
    const found = relevanceOf(base);
    const notInHits = relevanceOf({ ...base, namedFound: 0 });
    const notInCorpus = relevanceOf({ ...base, namedFound: 0, namedMissing: 1 });
    expect(notInHits).toBeLessThan(found);
    expect(notInCorpus).toBeLessThan(notInHits);
  });

  it('rates a question higher when one file stands out lexically (margin)', () => {
    expect(relevanceOf({ ...base, margin: 0.8 })).toBeGreaterThan(relevanceOf({ ...base, margin: 0.1 }));
  });
});

describe('complete evidence', () => {
  const covered = signalsWith({ coverage: 1, rareCoverage: 1, margin: 0.1, strength: 1, contentCoverage: 1, presentCoverage: 1 });

  it('answers plainly when the best chunk holds the whole question strongly, even with two files alike (low margin)', () => {
    expect(completeEvidence(covered)).toBe(true);
    expect(decide(relevanceOf(covered))).toEqual({ grounded: true, confidence: 'high' });
  });

  it('is not complete when a named term is missing from the hits or the coverage is partial', () => {
    expect(completeEvidence({ ...covered, namedFound: 0.5 })).toBe(false);
    expect(completeEvidence({ ...covered, contentCoverage: 0.7 })).toBe(false);
    expect(decide(relevanceOf({ ...covered, namedFound: 0, namedMissing: 1 })).grounded).toBe(false);
  });
});
