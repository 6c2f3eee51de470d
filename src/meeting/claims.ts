import { OFFLINE_MODEL } from '../answer/offline';
import { indexTokens, normalize, stem, tokenize, WORD_PREFIX } from '../retrieval/tokenize';
import { isCjkToken } from '../text/cjk';
import { splitSentences } from '../text/sentences';
import { TERM_STOPWORDS } from '../text/stopwords';
import type { MeetingAnswer, PointCitation } from './types';

/** One sentence an avatar's answer rests on, with the citation numbers that back it. */
export interface Claim {
  avatar: string;
  name: string;
  cites: number[];
  text: string;
  terms: Set<string>;
}

/** The words that say what a sentence is about: retrieval tokens without stop words and short numbers ("01", "11"). */
export function keyTerms(text: string): Set<string> {
  return new Set(tokenize(text).filter((w) => !TERM_STOPWORDS.has(w) && !/^\d{1,2}$/.test(w)));
}

/** Chinese dictionary words of a text (jieba): what a person reads, where the tokens are bigrams. */
export function cjkWords(text: string): Set<string> {
  return new Set(indexTokens(text).filter((w) => w.startsWith(WORD_PREFIX)).map((w) => w.slice(WORD_PREFIX.length)));
}

/**
 * Lines a document wrapped inside a paragraph joined again, so that a sentence is whole; list
 * items, headings, quotes and table rows stay lines of their own.
 */
function unwrap(text: string): string {
  return text.replace(/([^\n])\n(?!\s*(?:[-*+]\s|\d+[.)、]|#|>|\||\n))\s*/g, (_m, before: string) => `${before}${/[\u3000-\u9fff]$/.test(before) ? '' : ' '}`);
}

/** Markdown list, heading and quote markers, emphasis and code ticks off a line: the words remain. */
function plain(line: string): string {
  return line
    .replace(/^(\s*(#{1,6}\s+|[-*+]\s+|\d+[.)、]\s*|>\s?))+/, '')
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const MARKER = /\[(\d{1,2})\]/g;

/**
 * The claims of an answer. A model's answer says them itself, each sentence with its [n]
 * markers; an offline answer is quotes, so its claims are the sentences of the quoted passages.
 * Uncited sentences are no claims: the synthesis cites everything it says.
 */
export function claimsOf(a: MeetingAnswer): Claim[] {
  const { answer } = a;
  if (!answer.grounded || answer.citations.length === 0) return [];
  const known = new Set(answer.citations.map((c) => c.n));
  const out: Claim[] = [];
  const add = (text: string, cites: number[]): void => {
    const clean = plain(text);
    const terms = keyTerms(clean);
    if (terms.size < 3 || cites.length === 0) return;
    if (out.some((c) => c.text === clean)) return;
    out.push({ avatar: a.avatar, name: a.name, cites, text: clean, terms });
  };
  if (answer.model !== OFFLINE_MODEL) {
    for (const sentence of splitSentences(answer.text)) {
      const cites = [...sentence.matchAll(MARKER)].map((m) => Number(m[1])).filter((n) => known.has(n));
      add(sentence.replace(MARKER, ''), [...new Set(cites)]);
    }
    if (out.length > 0) return out;
  }
  for (const c of answer.citations) {
    // A heading names a document or section; it claims nothing.
    for (const sentence of splitSentences(unwrap(c.text))) if (!/^#{1,6}\s/.test(sentence)) add(sentence, [c.n]);
  }
  return out;
}

/** Citation `n` of an answer as a synthesis point cites it. */
export function pointCitation(a: MeetingAnswer, n: number): PointCitation | undefined {
  const c = a.answer.citations.find((x) => x.n === n);
  return c ? { avatar: a.avatar, n, source: c.source, locator: c.locator } : undefined;
}

/** Each term as the text wrote it (the tokens are stemmed: "rollback" for "rollbacks"). */
export function surfaceWords(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of normalize(text).matchAll(/[a-z0-9][a-z0-9_]*(?:[-.][a-z0-9_]+)*/g)) {
    const word = m[0];
    if (!out.has(word)) out.set(word, word);
    for (const part of word.split(/[-.]/)) if (part.length >= 2 && !out.has(stem(part))) out.set(stem(part), part);
  }
  return out;
}

/** Words that say how a question is asked rather than what about (stemmed as the tokenizer does). */
const HOW_WORDS = new Set(['goe', 'happen', 'afterward', 'afterwards', 'chang', 'change', 'handl', 'handle', 'deal', 'way', 'mean', 'explain', 'describ', 'tell']);

/**
 * The words of a question worth looking for in the answers: English key terms (stemmed, with
 * the word as asked) and Chinese dictionary words (jieba), which read better than bigrams.
 */
export function questionWords(question: string): { term: string; word: string; cjk: boolean }[] {
  const surface = surfaceWords(question);
  const out: { term: string; word: string; cjk: boolean }[] = [];
  for (const term of keyTerms(question)) {
    if (isCjkToken(term) || HOW_WORDS.has(term)) continue;
    out.push({ term, word: surface.get(term) ?? term, cjk: false });
  }
  for (const word of cjkWords(question)) if (!out.some((w) => w.word === word)) out.push({ term: word, word, cjk: true });
  return out;
}
