import { chunkUnit, lengthUnits } from '../../src/corpus/chunk';
import type { SourceUnit } from '../../src/corpus/types';

const doc = (text: string, extra: Partial<SourceUnit> = {}): SourceUnit => ({ source: 'a.md', kind: 'markdown', text, ...extra });

describe('chunkUnit', () => {
  it('keeps a short document whole with its line range', async () => {
    expect(await chunkUnit(doc('# Title\n\nOne line.\n'))).toEqual([{ text: '# Title\n\nOne line.', locator: 'L1-L3' }]);
  });

  it('gives no chunks for whitespace', async () => {
    expect(await chunkUnit(doc('  \n\n  '))).toEqual([]);
  });

  it('maps every chunk of a long document to the exact lines it covers', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => `Step ${i + 1}: run deployctl status and check the canary dashboard for errors.`);
    const text = lines.join('\n');
    const chunks = await chunkUnit(doc(text), { chunkSize: 300, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      const [, a, b] = /^L(\d+)-L(\d+)$/.exec(c.locator) as RegExpExecArray;
      expect(lines.slice(Number(a) - 1, Number(b)).join('\n')).toBe(c.text);
    }
  });

  it('offsets line ranges by firstLine', async () => {
    const [c] = await chunkUnit(doc('hello', { firstLine: 12 }));
    expect(c.locator).toBe('L12-L12');
  });

  it('keeps Chinese sentence punctuation with its sentence', async () => {
    const text = Array.from({ length: 30 }, (_, i) => `第${i + 1}步，先确认金丝雀发布的错误率低于百分之一。`).join('');
    const chunks = await chunkUnit(doc(text), { chunkSize: 200, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.text.endsWith('。')).toBe(true);
      expect(c.text.startsWith('。')).toBe(false);
    }
  });

  it('counts a CJK character double so Chinese chunks hold similar content', () => {
    expect(lengthUnits('回滚')).toBe(4);
    expect(lengthUnits('undo')).toBe(4);
  });

  it('keeps a message locator on every chunk and drops repeated pieces', async () => {
    const text = 'Roll back first. '.repeat(80);
    const chunks = await chunkUnit({ source: 'chat', kind: 'slack', text, locator: '1700000000.000100' }, { chunkSize: 200, chunkOverlap: 0 });
    expect(chunks.every((c) => c.locator === '1700000000.000100')).toBe(true);
    expect(new Set(chunks.map((c) => c.text)).size).toBe(chunks.length);
  });
});
