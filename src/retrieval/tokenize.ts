import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';

/**
 * Tokenisation shared by the lexical index and the local embedder.
 * Latin text: lower-cased words with light suffix stemming, plus the hyphenated compound.
 * CJK text: overlapping character bigrams (a lone character stands as a unigram), the usual
 * choice when no dictionary segmenter is available.
 */

const EN_STOP = new Set(
  ('a an and are as at be been but by can could did do does doing for from had has have he her his how i if in into is it its ' +
    'me my no not of on or our she so that the their them then there these they this those to too us was we were what when ' +
    'where which who whom why will with would you your yours shall should may might must also just than very about over ' +
    'any some all each other such only own same more most both few nor off out up down again further once here hi hello ' +
    'please thanks thank ok okay get got let lets via per etc').split(/\s+/),
);
// Characters that carry little meaning alone; a bigram made only of them is dropped.
const ZH_STOP_CHARS = new Set('的了是在和与及或也就都而且把被给让对从向到这那个们吗呢吧啊呀么着过很还又再才要会能可以我你他她它'.split(''));

// Question and filler words: they say how something is asked, not what it is about.
const ZH_STOP_BIGRAMS = new Set(
  ('什么 怎么 怎样 如何 为什么 哪些 哪个 哪里 哪儿 多少 多久 几个 几天 是否 是不 不是 有没 没有 可以 能不 需要 应该 时候 一下 一个 这个 那个 这些 那些 ' +
    '现在 目前 请问 一般 通常 具体 主要 之后 之前 以后 以前 的话 还是 或者 如果 因为 所以 但是 而且 就是 只是 大概 多长 要不 的时 么时 么样')
    .split(/\s+/)
    .flatMap((w) => (w.length === 2 ? [w] : [w.slice(0, 2), w.slice(1, 3)])),
);

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
const SEGMENT = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9][a-z0-9_]*(?:[-.][a-z0-9_]+)*/g;

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
    if (CJK.test(seg[0])) {
      pushCjk(seg, out);
      continue;
    }
    const parts = seg.split(/[-.]/).filter(Boolean);
    for (const p of parts) {
      if (p.length < 2 && !/\d/.test(p)) continue;
      if (EN_STOP.has(p)) continue;
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

export function isCjkToken(token: string): boolean {
  return CJK.test(token[0] ?? '');
}

/** Whether a string holds any CJK character. */
export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/** The text a chunk is indexed by: its title (document name, e-mail subject) and its body. */
export function searchableText(chunk: { text: string; title?: string | null }): string {
  return chunk.title ? `${chunk.title}\n${chunk.text}` : chunk.text;
}

/**
 * Version of `indexTokens`, stamped in every index manifest: an index built with another
 * version is rebuilt from the chunk store at load (the chunk store keeps the text).
 * v2: CJK text also yields dictionary words (jieba), beside the character bigrams.
 */
export const TOKENIZER_VERSION = 'v2-bigram+jieba+char';

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

const ZH_STOP_WORDS = new Set(
  ('什么 怎么 怎样 如何 为什么 哪些 哪个 哪里 多少 多久 是否 有没有 没有 可以 能不能 需要 应该 时候 一下 一个 这个 那个 这些 那些 ' +
    '现在 目前 请问 一般 通常 具体 主要 之后 之前 以后 以前 的话 还是 或者 如果 因为 所以 但是 而且 就是 只是 大概 我们 你们 他们 自己 这样 那样 这种 哪种').split(/\s+/),
);

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

const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
