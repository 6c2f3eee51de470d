import fs from 'node:fs';
import path from 'node:path';
import { chunkUnit, type ChunkDraft } from '../../src/corpus/chunk';
import { lengthUnits } from '../../src/text/cjk';
import type { SourceUnit } from '../../src/corpus/types';
import { describeCorpora } from '../helpers/corpora';

const CORPORA = path.resolve(__dirname, '../../..', 'shared/corpora');

const doc = (text: string, extra: Partial<SourceUnit> = {}): SourceUnit => ({ source: 'runbook.md', kind: 'markdown', text, ...extra });

function range(c: ChunkDraft): [number, number] {
  const m = /^L(\d+)-L(\d+)$/.exec(c.locator);
  if (!m) throw new Error(`not a line range: ${c.locator}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * A chunk's range is exact when its first line ends the first line of the range, its last line
 * starts the last line of the range, and the lines in between match whole.
 */
function expectExactRange(lines: string[], c: ChunkDraft, firstLine = 1): void {
  const [a, b] = range(c);
  const covered = lines.slice(a - firstLine, b - firstLine + 1);
  const parts = c.text.split('\n');
  expect(parts.length).toBe(covered.length);
  if (parts.length === 1) {
    expect(covered[0]).toContain(parts[0]);
    return;
  }
  expect(covered[0].endsWith(parts[0])).toBe(true);
  expect(covered[covered.length - 1].startsWith(parts[parts.length - 1])).toBe(true);
  expect(parts.slice(1, -1)).toEqual(covered.slice(1, -1));
}

const runbookLines = (n: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    i % 9 === 0 ? `## Step ${i + 1}` : i % 9 === 8 ? '' : `Line ${i + 1}: run deployctl status billing-gateway and check the canary dashboard for 5xx errors.`,
  );

describe('lengthUnits', () => {
  it('counts a CJK character as two units and anything else as one', () => {
    expect(lengthUnits('回滚')).toBe(4);
    expect(lengthUnits('undo')).toBe(4);
    expect(lengthUnits('先 rollback。')).toBe(2 + 1 + 8 + 2);
    expect(lengthUnits('')).toBe(0);
  });
});

describe('chunkUnit: small units', () => {
  it('keeps a short document as one trimmed chunk with its line range', async () => {
    expect(await chunkUnit(doc('# Title\n\nOne line.\n'))).toEqual([{ text: '# Title\n\nOne line.', locator: 'L1-L3' }]);
    expect(await chunkUnit(doc('\n\n  Hello there.  \n\n'))).toEqual([{ text: 'Hello there.', locator: 'L3-L3' }]);
  });

  it('gives no chunks for an empty or blank unit', async () => {
    expect(await chunkUnit(doc(''))).toEqual([]);
    expect(await chunkUnit(doc('  \n\n \t '))).toEqual([]);
  });

  it('offsets line ranges by firstLine', async () => {
    expect(await chunkUnit(doc('\nhello\nworld', { firstLine: 12 }))).toEqual([{ text: 'hello\nworld', locator: 'L13-L14' }]);
  });

  it('keeps the text unchanged apart from the trim', async () => {
    const text = 'Roll back with `deployctl rollback billing-gateway --to v2.14.2`.\n\n| a | b |\n|---|---|\n|  1 |  2 |';
    expect(await chunkUnit({ source: 'chat', kind: 'slack', text: ` ${text}\n`, locator: '1700000000.000100' })).toEqual([{ text, locator: '1700000000.000100' }]);
  });
});

describe('chunkUnit: long documents', () => {
  it('maps every chunk to the exact lines it covers, without overlap', async () => {
    const lines = runbookLines(90);
    const chunks = await chunkUnit(doc(lines.join('\n')), { chunkSize: 300, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expectExactRange(lines, c);
    // Without overlap the chunks tile the document in order.
    const ranges = chunks.map(range);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][1]);
  });

  it('maps chunks exactly with the default overlap, CRLF line ends and a firstLine offset', async () => {
    // Lines shorter than the overlap, so whole lines carry over into the next chunk.
    const lines = Array.from({ length: 120 }, (_, i) => `Line ${i + 1}: deployctl status billing-gateway.`);
    const chunks = await chunkUnit(doc(lines.join('\r\n'), { firstLine: 40 }));
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expectExactRange(lines, c, 40);
    expect(range(chunks[0])[0]).toBe(40);
    expect(range(chunks[chunks.length - 1])[1]).toBe(40 + lines.length - 1);
    // Neighbours overlap: the next chunk starts on a line the previous one covers.
    for (let i = 1; i < chunks.length; i++) {
      expect(range(chunks[i])[0]).toBeGreaterThan(range(chunks[i - 1])[0]);
      expect(range(chunks[i])[0]).toBeLessThanOrEqual(range(chunks[i - 1])[1]);
    }
  });

  it('finds the right occurrence when lines repeat', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => (i % 10 === 0 ? `## Region ${i / 10}` : '- check the canary, then promote.'));
    const chunks = await chunkUnit(doc(lines.join('\n')), { chunkSize: 200, chunkOverlap: 60 });
    for (const c of chunks) expectExactRange(lines, c);
    const starts = chunks.map((c) => range(c)[0]);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(range(chunks[chunks.length - 1])[1]).toBe(80);
  });

  it('splits at Markdown headings before anything else', async () => {
    const section = (n: number): string => `## Section ${n}\n\n${`Paragraph about billing step ${n}, with enough words to fill some space. `.repeat(5)}`;
    const chunks = await chunkUnit(doc([1, 2, 3, 4].map(section).join('\n')), { chunkSize: 600, chunkOverlap: 0 });
    expect(chunks.map((c) => c.text.split('\n')[0])).toEqual(['## Section 1', '## Section 2', '## Section 3', '## Section 4']);
  });

  it('keeps every chunk within the size when there are places to split', async () => {
    const text = `${'The gateway retries twice; after that it fails the payment, and the merchant sees a decline. '.repeat(60)}\n${'网关最多重试两次，之后直接判定支付失败，商户会看到拒付。'.repeat(60)}`;
    for (const [size, overlap] of [[600, 80], [200, 40], [1000, 0]]) {
      const chunks = await chunkUnit(doc(text), { chunkSize: size, chunkOverlap: overlap });
      for (const c of chunks) expect(lengthUnits(c.text)).toBeLessThanOrEqual(size);
      expect(chunks.length).toBeGreaterThan(1);
    }
  });
});

describe('chunkUnit: sentences in two languages', () => {
  it('keeps Chinese sentence punctuation with its sentence', async () => {
    const text = Array.from({ length: 30 }, (_, i) => `第${i + 1}步：先确认金丝雀发布的错误率低于百分之一！然后再放量吗？是的；要等十分钟。`).join('');
    const chunks = await chunkUnit(doc(text), { chunkSize: 200, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.text).toMatch(/。$/);
      expect(c.text).not.toMatch(/^[。！？；，]/);
      expect(lengthUnits(c.text)).toBeLessThanOrEqual(200);
    }
  });

  it('keeps a closing quote with the Chinese sentence it ends', async () => {
    const text = '老张说：“先回滚，再查日志。”然后他去开会了。'.repeat(20);
    const chunks = await chunkUnit(doc(text), { chunkSize: 100, chunkOverlap: 0 });
    for (const c of chunks) expect(c.text).not.toMatch(/^[”。]/);
  });

  it('ends English chunks at sentence ends and starts them at sentence starts', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `Step ${i + 1} drains the queue before the cutover. Then we watch p99 for ten minutes!`).join(' ');
    const chunks = await chunkUnit(doc(text), { chunkSize: 300, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.text).toMatch(/^(Step|Then)/);
      expect(c.text).toMatch(/[.!]$/);
    }
  });

  it('fits about half as many Chinese characters as Latin ones in a chunk', async () => {
    const zh = (await chunkUnit(doc('回滚之前先通知值班同学。'.repeat(200)), { chunkSize: 600, chunkOverlap: 0 }))[0].text;
    const en = (await chunkUnit(doc('Tell the on-call first. '.repeat(200)), { chunkSize: 600, chunkOverlap: 0 }))[0].text;
    expect(zh.length).toBeLessThanOrEqual(300);
    expect(zh.length).toBeGreaterThan(250);
    expect(en.length).toBeGreaterThan(550);
  });
});

describe('chunkUnit: messages', () => {
  it('keeps the fixed locator on every chunk of a long message', async () => {
    const text = 'Roll back first, then debug. '.repeat(80);
    const chunks = await chunkUnit({ source: 'mail/allen-p', kind: 'email', text, locator: '<18782981.1075855378110.JavaMail.evans@thyme>' }, { chunkSize: 200, chunkOverlap: 20 });
    expect(chunks.length).toBeGreaterThan(5);
    expect(new Set(chunks.map((c) => c.locator))).toEqual(new Set(['<18782981.1075855378110.JavaMail.evans@thyme>']));
  });
});

describeCorpora('chunkUnit: real documents', () => {
  it('maps every chunk of real English essays and Chinese newsletters to its exact lines', async () => {
    const pg = path.join(CORPORA, 'paul_graham_essays');
    const zh = path.join(CORPORA, 'ruanyf_weekly_zh/docs');
    if (!fs.existsSync(pg) || !fs.existsSync(zh)) throw new Error(`real corpora missing: expected ${pg} and ${zh} (see /work/shared/corpora/README.md)`);
    const files = [
      ...fs.readdirSync(pg).filter((f) => f.endsWith('.txt') && f !== 'SOURCE.txt').sort().map((f) => path.join(pg, f)),
      ...fs.readdirSync(zh).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(zh, f)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(90);
    let total = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const lines = text.replace(/\r\n?/g, '\n').split('\n');
      const chunks = await chunkUnit(doc(text, { source: path.basename(f) }));
      expect(chunks.length).toBeGreaterThan(0);
      for (const c of chunks) {
        expectExactRange(lines, c);
        expect(lengthUnits(c.text)).toBeLessThanOrEqual(600);
      }
      total += chunks.length;
    }
    expect(total).toBeGreaterThan(1000);
  });
});
