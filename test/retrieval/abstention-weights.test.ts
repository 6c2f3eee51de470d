import fs from 'node:fs';
import path from 'node:path';
import { ABSTENTION, FEATURES } from '../../src/retrieval/abstention';

const FILE = path.join(__dirname, '..', '..', 'src', 'retrieval', 'abstention-weights.json');

describe('the shipped abstention weights (src/retrieval/abstention-weights.json)', () => {
  const shipped = JSON.parse(fs.readFileSync(FILE, 'utf8')) as { bias: unknown; weights: Record<string, unknown>; decline: unknown; high: unknown };

  it('loads as the model the runtime uses', () => {
    expect(ABSTENTION).toEqual(shipped);
  });

  it('names only features the runtime computes, each with a finite weight', () => {
    const names = Object.keys(shipped.weights);
    expect(names.length).toBeGreaterThan(0);
    for (const k of names) {
      expect(FEATURES).toContain(k);
      expect(Number.isFinite(shipped.weights[k])).toBe(true);
    }
    expect(Object.keys(shipped).sort()).toEqual(['bias', 'decline', 'high', 'weights']);
  });

  it('has a finite bias and a decline point below the plain-answer point, both probabilities', () => {
    expect(Number.isFinite(shipped.bias)).toBe(true);
    expect(shipped.decline).toBeGreaterThan(0);
    expect(shipped.decline).toBeLessThan(shipped.high as number);
    expect(shipped.high).toBeLessThan(1);
  });
});
