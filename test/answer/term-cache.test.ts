import { terms, withTermCache } from '../../src/answer/passages';

describe("an answer's term cache", () => {
  it('works each text out once inside one call, and keeps nothing after it', () => {
    const text = 'Roll back billing-gateway with deployctl rollback before changing anything.';
    const inside = withTermCache(() => {
      const first = terms(text);
      expect(terms(text)).toBe(first);
      // A nested call shares the outer cache instead of dropping it.
      expect(withTermCache(() => terms(text))).toBe(first);
      return first;
    });
    expect(inside).toContain('rollback');
    expect(inside).toContain('chang');
    expect(terms(text)).not.toBe(inside);
    expect(terms(text)).toEqual(inside);
  });

  it('lets the cache go when the work throws', () => {
    expect(() => withTermCache(() => { terms('one'); throw new Error('boom'); })).toThrow('boom');
    expect(terms('deploy rollback')).not.toBe(terms('deploy rollback'));
  });
});
