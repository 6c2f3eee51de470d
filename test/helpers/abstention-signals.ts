import type { AbstentionSignals } from '../../src/retrieval/abstention';

/**
 * Abstention signals for model tests: a middling question (half its terms covered, a modest
 * margin, no semantic layer, nothing it names missing) with the fields a test cares about set.
 */
export function signalsWith(over: Partial<AbstentionSignals> = {}): AbstentionSignals {
  return {
    coverage: 0.5,
    rareCoverage: 0.5,
    margin: 0.3,
    strength: 0.3,
    agreement: 0.5,
    similarity: 0,
    missing: 0,
    contentCoverage: 0.5,
    presentCoverage: 0.5,
    presentShare: 1,
    namedMissing: 0,
    focusFound: 1,
    topAgreement: 0.5,
    semanticOn: 0,
    semanticLift: 0,
    semanticTop: 0,
    namedFound: 1,
    slotMiss: 0,
    ...over,
  };
}
