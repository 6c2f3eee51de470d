import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import { HAN, hasCjk, isCjkToken } from '../text/cjk';
import { EN_STOPWORDS, ZH_STOP_BIGRAMS, ZH_STOP_CHARS, ZH_STOP_WORDS } from '../text/stopwords';

/**
 * Tokenisation shared by the lexical index and the local embedder.
 * Latin text: lower-cased words with light suffix stemming, plus the hyphenated compound.
 * CJK text: overlapping character bigrams (a lone character stands as a unigram), the usual
 * choice when no dictionary segmenter is available.
 */

const SEGMENT = new RegExp(`[${HAN}]+|[a-z0-9][a-z0-9_]*(?:[-.][a-z0-9_]+)*`, 'g');

/** Light English stemmer: enough to join deploy/deploys/deployed/deploying. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4) w = undouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  return w;
}

function undouble(w: string): string {
  const n = w.length;
  if (n > 3 && w[n - 1] === w[n - 2] && !'lsz'.includes(w[n - 1])) return w.slice(0, -1);
  return w;
}

export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Tokens for indexing and querying, in text order (duplicates kept, for term frequency). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of normalize(text).matchAll(SEGMENT)) {
    const seg = m[0];
    if (isCjkToken(seg)) {
      pushCjk(seg, out);
      continue;
    }
    const parts = seg.split(/[-.]/).filter(Boolean);
    for (const p of parts) {
      if (p.length < 2 && !/\d/.test(p)) continue;
      if (EN_STOPWORDS.has(p)) continue;
      out.push(stem(p));
    }
    // Keep compounds such as billing-db or v2.3 searchable as a whole.
    if (parts.length > 1 && seg.length <= 40) out.push(seg);
  }
  return out;
}

function pushCjk(seg: string, out: string[]): void {
  const chars = [...seg];
  if (chars.length === 1) {
    if (!ZH_STOP_CHARS.has(chars[0])) out.push(chars[0]);
    return;
  }
  for (let i = 0; i + 1 < chars.length; i++) {
    const bigram = chars[i] + chars[i + 1];
    if ((ZH_STOP_CHARS.has(chars[i]) && ZH_STOP_CHARS.has(chars[i + 1])) || ZH_STOP_BIGRAMS.has(bigram)) continue;
    out.push(bigram);
  }
}

/** Chat platforms, whose replies are read together with the thread message they answer. */
const CHAT_KINDS: ReadonlySet<string> = new Set(['slack', 'feishu']);

/**
 * A thread message the reply's own author wrote (context `Name: text`, author `Name (U123)`): it
 * is a unit of the same index already, and copying it into each reply made those replies outrank
 * it for questions about it.
 */
function byAuthor(context: string, author: string | null | undefined): boolean {
  const name = author?.replace(/\s*\([^()]*\)$/, '').trim();
  return Boolean(name) && context.startsWith(`${name}: `);
}

/**
 * The text a chunk is indexed by: its title (document name, e-mail subject, channel) and its
 * body; for a chat reply, the thread message it answers too. A reply ("yes, CRAN builds them on
 * its own servers") holds few of the words a colleague asks with; the question it answers holds
 * them (s390x binaries), and it was asked by someone else, so it is nowhere else in a person's
 * index. An e-mail's context is its quoted history, which stays out: stripping it helped.
 */
export function searchableText(chunk: { text: string; title?: string | null; kind?: string; context?: string | null; author?: string | null }): string {
  const thread = chunk.context && chunk.kind && CHAT_KINDS.has(chunk.kind) && !byAuthor(chunk.context, chunk.author) ? `${chunk.context}\n` : '';
  const body = `${thread}${chunk.text}`;
  return chunk.title ? `${chunk.title}\n${body}` : body;
}

/**
 * Version of `indexTokens`, stamped in every index manifest: an index built with another
 * version is rebuilt from the chunk store at load (the chunk store keeps the text).
 * v2: CJK text also yields dictionary words (jieba), beside the character bigrams.
 * v3: a chat reply is indexed with the thread message it answers (searchableText).
 */
export const TOKENIZER_VERSION = 'v3-bigram+jieba+char+thread';

/** Marks a dictionary word so it never collides with a character bigram of the same two characters. */
export const WORD_PREFIX = '\u00a7';

/** Marks a single CJK character (weak evidence: queried at a low weight). */
export const CHAR_PREFIX = '\u00b7';

let jieba: Jieba | undefined;
function segmenter(): Jieba {
  // The packaged dictionary: a plain `new Jieba()` has none and cuts into single characters.
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

/**
 * What the lexical index and queries use: `tokenize` plus, for CJK runs, jieba's dictionary
 * words (prefixed). Bigrams find any substring; words reward matches that respect word
 * boundaries ("数据库" rather than "据库"), which lifts paraphrased Chinese questions.
 */
export function indexTokens(text: string): string[] {
  const out = tokenize(text);
  if (!hasCjk(text)) return out;
  for (const m of normalize(text).matchAll(CJK_RUN)) {
    for (const w of segmenter().cut(m[0], false)) {
      if (w.length >= 2 && !ZH_STOP_WORDS.has(w)) out.push(WORD_PREFIX + w);
    }
    for (const ch of m[0]) if (!ZH_STOP_CHARS.has(ch)) out.push(CHAR_PREFIX + ch);
  }
  return out;
}

const CJK_RUN = new RegExp(`[${HAN}]+`, 'g');
