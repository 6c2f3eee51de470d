import { stem, tokenize } from '../../src/retrieval/tokenize';

describe('tokenize', () => {
  it('lower-cases, drops stop words and stems English words', () => {
    expect(tokenize('The deploys were rolled back')).toEqual(['deploy', 'roll', 'back']);
  });

  it('keeps hyphenated names whole as well as their parts', () => {
    expect(tokenize('restart billing-gateway')).toEqual(['restart', 'bill', 'gateway', 'billing-gateway']);
  });

  it('turns Chinese runs into overlapping bigrams', () => {
    expect(tokenize('回滚发布')).toEqual(['回滚', '滚发', '发布']);
  });

  it('handles mixed Chinese and English', () => {
    expect(tokenize('用 deployctl 回滚')).toEqual(['用', 'deployctl', '回滚']);
  });

  it('drops bigrams made only of function characters', () => {
    expect(tokenize('我们的')).not.toContain('们的');
  });

  it('stems common suffixes without mangling numbers', () => {
    expect(stem('rotating')).toBe('rotat');
    expect(stem('rotated')).toBe('rotat');
    expect(stem('policies')).toBe('policy');
    expect(stem('v2s')).toBe('v2s');
  });
});
