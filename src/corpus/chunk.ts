import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { SourceUnit } from './types';

export interface ChunkDraft {
  text: string;
  locator: string;
}

export interface ChunkOptions {
  /** Target size in length units (a CJK character counts 2, anything else 1). */
  chunkSize?: number;
  chunkOverlap?: number;
}

/** Structure first (headings, paragraphs, lines), then sentences in both languages, then words. */
const SEPARATORS = ['\n# ', '\n## ', '\n### ', '\n#### ', '\n\n', '\n', '。', '！', '？', '；', '. ', '! ', '? ', '; ', '，', ', ', ' ', ''];
/** Punctuation that ends a sentence or clause stays with the text before it. */
const TRAILING = new Set(['。', '！', '？', '；', '. ', '! ', '? ', '; ', '，', ', ']);

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/g;

/**
 * A Chinese character carries about as much as a short English word, so it counts double:
 * a Chinese chunk then holds a similar amount of meaning to an English one.
 */
export function lengthUnits(text: string): number {
  return text.length + (text.match(CJK)?.length ?? 0);
}

class SentenceAwareSplitter extends RecursiveCharacterTextSplitter {
  override splitOnSeparator(text: string, separator: string): string[] {
    if (!separator) return [...text].filter((s) => s !== '');
    const escaped = separator.replace(/[/\-\\^$*+?.()|[\]{}]/g, '\\$&');
    const re = TRAILING.has(separator) ? new RegExp(`(?<=${escaped})`) : new RegExp(`(?=${escaped})`);
    return text.split(re).filter((s) => s !== '');
  }
}

const splitters = new Map<string, SentenceAwareSplitter>();
function splitterFor(size: number, overlap: number): SentenceAwareSplitter {
  const key = `${size}:${overlap}`;
  let s = splitters.get(key);
  if (!s) {
    s = new SentenceAwareSplitter({ chunkSize: size, chunkOverlap: overlap, separators: SEPARATORS, keepSeparator: true, lengthFunction: lengthUnits });
    splitters.set(key, s);
  }
  return s;
}

/** 1-based line numbers of character offsets, by binary search over line starts. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Split a unit into chunks. Messages keep their own locator (Message-ID, ts); documents get
 * the line range each chunk covers in the source file, e.g. `L12-L30`.
 */
export async function chunkUnit(unit: SourceUnit, opts: ChunkOptions = {}): Promise<ChunkDraft[]> {
  const text = unit.text.replace(/\r\n?/g, '\n');
  if (text.trim() === '') return [];
  const size = opts.chunkSize ?? 600;
  const overlap = Math.min(opts.chunkOverlap ?? 80, Math.floor(size / 2));
  const pieces = lengthUnits(text.trim()) <= size ? [text.trim()] : (await splitterFor(size, overlap).splitText(text)).map((p) => p.trim()).filter(Boolean);
  if (unit.locator) {
    const seen = new Set<string>();
    return pieces.filter((p) => !seen.has(p) && seen.add(p)).map((p) => ({ text: p, locator: unit.locator as string }));
  }
  const lineOf = lineIndex(text);
  const first = unit.firstLine ?? 1;
  let from = 0;
  return pieces.map((p) => {
    let at = text.indexOf(p, from);
    if (at < 0) at = text.indexOf(p);
    if (at >= 0) from = at + 1;
    const start = at < 0 ? 1 : lineOf(at);
    const end = at < 0 ? start : lineOf(at + p.length - 1);
    return { text: p, locator: `L${start + first - 1}-L${end + first - 1}` };
  });
}
