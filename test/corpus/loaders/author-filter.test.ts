import { authorMatcher } from '../../../src/corpus/loaders/author-filter';

describe('authorMatcher', () => {
  it('is absent without aliases', () => {
    expect(authorMatcher(undefined)).toBeUndefined();
    expect(authorMatcher(['  '])).toBeUndefined();
  });

  it('matches an address exactly, case-insensitively, inside a "Name <address>" string', () => {
    const m = authorMatcher('Phillip.Allen@enron.com');
    expect(m?.('Phillip K Allen <phillip.allen@ENRON.com>')).toBe(true);
    expect(m?.('k..allen@enron.com')).toBe(false);
    expect(m?.('bphillip.allen@enron.com')).toBe(false);
  });

  it('matches names word by word in any order, ignoring punctuation', () => {
    const m = authorMatcher('Phillip K Allen');
    expect(m?.('Allen, Phillip K.')).toBe(true);
    expect(m?.('Phillip K. Allen <k..allen@enron.com>')).toBe(true);
    expect(m?.('Phillip M Love')).toBe(false);
  });

  it('matches platform ids and CJK names, including inside "Name (id)"', () => {
    expect(authorMatcher('U01DZUA88S1')?.('Heather Turner (U01DZUA88S1)')).toBe(true);
    expect(authorMatcher('ou_lz')?.('ou_lz')).toBe(true);
    expect(authorMatcher('张建国')?.('张建国 (ou_lz)')).toBe(true);
    expect(authorMatcher('张建国')?.('张建华')).toBe(false);
  });

  it('needs one-word aliases of three letters or more to match by word, but matches short ids exactly', () => {
    expect(authorMatcher('ly')?.('Liu Yang (ly)')).toBe(false);
    expect(authorMatcher('ly')?.('ly')).toBe(true);
    expect(authorMatcher(['nobody', 'Liu'])?.('Liu Yang')).toBe(true);
  });
});
