import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { lengthUnits } from '../text/cjk';
import type { SourceUnit } from './types';

export interface ChunkDraft {
  text: string;
  locator: string;
}

export interface ChunkOptions {
  /** Target size in length units (`lengthUnits`, text/cjk.ts); default 600. */
  chunkSize?: number;
  /** Overlap between neighbouring chunks in length units; default 80, at most half the size. */
  chunkOverlap?: number;
}

/**
 * Structure first (Markdown headings, paragraphs, lines), then sentence ends in Chinese and
 * English, then clauses, then words, then characters.
 */
const SEPARATORS = ['\n# ', '\n## ', '\n### ', '\n#### ', '\n\n', '\n', '。', '！', '？', '；', '. ', '! ', '? ', '; ', '，', ', ', ' ', ''];

/**
 * Punctuation that ends a sentence or clause belongs to the text before it. (LangChain's
 * keepSeparator puts the separator at the start of the next piece, which suits headings and
 * line breaks but would start a chunk with "。".)
 */
const TRAILING = new Set(['。', '！', '？', '；', '. ', '! ', '? ', '; ', '，', ', ']);
/** Closing quotes and brackets that follow a Chinese sentence end stay with it: 他说：“好。” */
const CLOSERS = '”’」』）》】"';

function escapeRegExp(s: string): string {
  return s.replace(/[/\-\\^$*+?.()|[\]{}]/g, '\\$&');
}

class SentenceAwareSplitter extends RecursiveCharacterTextSplitter {
  private readonly patterns = new Map<string, RegExp>();

  override splitOnSeparator(text: string, separator: string): string[] {
    // Split by code point, so a character outside the BMP is never cut in half.
    if (!separator) return [...text];
    let re = this.patterns.get(separator);
    if (!re) {
      const s = escapeRegExp(separator);
      // After a CJK sentence end, closing quotes stay too; after ". " a quote opens the next one.
      const closers = separator.endsWith(' ') ? '' : `[${escapeRegExp(CLOSERS)}]`;
      re = !TRAILING.has(separator) ? new RegExp(`(?=${s})`) : closers ? new RegExp(`(?<=${s}${closers}*)(?!${closers})`) : new RegExp(`(?<=${s})`);
      this.patterns.set(separator, re);
    }
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

/** 1-based line number of a character offset, by binary search over line starts. */
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

/** Units (characters, a CJK character two) a piece shares with the one before it, unless chunkOverlap says otherwise. */
export const DEFAULT_CHUNK_OVERLAP = 80;

/**
 * Split a unit into chunks. Messages keep their fixed locator (Message-ID, Slack ts) on every
 * chunk; documents get the 1-based line range each chunk covers in the source file, `L12-L30`,
 * counted from `unit.firstLine`. A unit that fits is one chunk, its text trimmed; a blank unit
 * gives none.
 */
export async function chunkUnit(unit: SourceUnit, opts: ChunkOptions = {}): Promise<ChunkDraft[]> {
  // CRLF and CR become LF one for one, so line numbers stay those of the file.
  const text = unit.text.replace(/\r\n?/g, '\n');
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const size = Math.max(1, Math.floor(opts.chunkSize ?? 600));
  const overlap = Math.max(0, Math.min(Math.floor(opts.chunkOverlap ?? DEFAULT_CHUNK_OVERLAP), Math.floor(size / 2)));
  const pieces = lengthUnits(trimmed) <= size ? [trimmed] : (await splitterFor(size, overlap).splitText(text)).map((p) => p.trim()).filter((p) => p !== '');

  if (unit.locator !== undefined && unit.locator !== '') {
    const locator = unit.locator;
    return pieces.map((p) => ({ text: p, locator }));
  }

  // The splitter trims, so find each piece in the original. Chunks come in order, and a chunk
  // shares at most `overlap` units (so at most that many characters) with its predecessor: it
  // starts after the previous start and no earlier than `overlap` before the previous end. That
  // window picks the right copy of repeated lines.
  const lineOf = lineIndex(text);
  const offset = (unit.firstLine ?? 1) - 1;
  let prevStart = -1;
  let prevEnd = 0;
  let lastLine = 1;
  return pieces.map((p) => {
    let at = text.indexOf(p, Math.max(prevStart + 1, prevEnd - overlap));
    if (at < 0) at = text.indexOf(p, prevStart + 1);
    if (at < 0) at = text.indexOf(p);
    let start: number;
    let end: number;
    if (at < 0) {
      // Not expected (the splitter only cuts and trims); fall back to where the last chunk ended.
      start = end = lastLine;
    } else {
      prevStart = at;
      prevEnd = at + p.length;
      start = lineOf(at);
      end = lineOf(at + p.length - 1);
    }
    lastLine = end;
    return { text: p, locator: `L${start + offset}-L${end + offset}` };
  });
}
