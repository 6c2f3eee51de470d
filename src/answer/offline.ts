import type { Lang } from '../text/lang';
import type { AvatarConfig } from '../avatars/schema';
import type { Viewer } from '../avatars/visibility';
import type { AvatarIndex, SearchHit } from '../retrieval/avatar-index';
import { quantitiesAsked, slotEvidence, type Slot } from '../retrieval/answer-type';
import { splitSentences } from '../text/sentences';
import { asksHow, bestUnit, parseBlocks, queryWeights, rarityWeighted, scoreBlock, scoreText, terms, units, windowOf, type Block, type Weights, type Window, withTermCache } from './passages';
import { shownText } from './source-text';

export const OFFLINE_MODEL = 'offline-extractive';

const MAX_QUOTE_CHARS = 900;
const MAX_SOURCES = 4;
const MAX_LEAD = 3;
/** Sources past the pool looked at for a brief quote (their best unit), and its longest. */
const BRIEF_SOURCES = 2;
const MAX_BRIEF = 500;
/** Other matches in a source's window quoted after an ellipsis, when nearly as good as the best. */
const MAX_OTHERS = 2;
const OTHER_RATIO = 0.6;
/** Blocks in the chunk retrieval matched count this much more than the rest of the window. */
const HIT_BONUS = 1.2;
/** A lead sentence that holds the quantity the question asks for (the measured thing and a number) counts this much more. */
const QUANTITY_BONUS = 2;
/** A lead unit that holds a phrase the question quotes, word for word, counts this much more. */
const PHRASE_BONUS = 2;

/** Text compared for a quoted phrase: lower case, no Markdown code or emphasis marks, one space. */
const flat = (text: string): string => text.toLowerCase().replace(/[`*]/g, '').replace(/\s+/g, ' ');

/**
 * The phrases a question quotes ("fail with 'not an svn checkout'", “一切都要支付两次”): what the
 * asker saw word for word, an error message or a term, of two words or more. An apostrophe inside
 * a word ("Phillip's") opens no quote.
 */
function quotedPhrases(question: string): string[] {
  return [...question.matchAll(/(?<![A-Za-z0-9])["“'‘`「]([^"“”'‘’`「」\n]{3,80})["”'’`」](?![A-Za-z0-9])/g)]
    .map((m) => flat(m[1].trim()))
    .filter((p) => terms(p).length >= 2);
}

/** What a question's terms outside the phrases it quotes count for, beside the phrases' own. */
const FRAME_TERMS = 0.3;

/**
 * A question that quotes a phrase is about the phrase: its other terms are mostly its frame
 * ("“一切都要支付两次”是什么意思？", "what does 'paid twice' mean"), and a sentence that says
 * 什么意思 elsewhere is no answer. Those terms count for less.
 */
function aboutThePhrases(weights: Weights, phrases: string[]): Weights {
  const quoted = new Set(phrases.flatMap((p) => terms(p)));
  if (![...weights.keys()].some((t) => quoted.has(t))) return weights;
  const out: Weights = new Map();
  out.expansion = weights.expansion;
  for (const [t, w] of weights) out.set(t, quoted.has(t) ? w : w * FRAME_TERMS);
  return out;
}

export interface Excerpt {
  hit: SearchHit;
  /** Whole blocks around the best match: never a bare heading, never half a code block. */
  quote: string;
  /** The lines quoted, when the source has line locators. */
  locator?: string;
  /** What the answer leads with from this source, best first, with scores. */
  lead: LeadUnit[];
}

interface LeadUnit {
  text: string;
  score: number;
  /** The unit as the quote shows it (no introduction), its blocks (first and last) and their file lines. */
  cite?: { text: string; at: number; end: number; from?: number; to?: number };
}

interface Segment {
  at: number;
  end: number;
  text: string;
  from?: number;
  to?: number;
}

/** A source's quote: its segments in window order, an ellipsis between those that are apart. */
function render(segments: Segment[]): { quote: string; locator?: string } {
  const sorted = [...segments].sort((a, b) => a.at - b.at);
  const parts: string[] = [];
  sorted.forEach((g, k) => {
    if (k > 0) parts.push(g.at === sorted[k - 1].end + 1 ? '' : '…');
    parts.push(g.text);
  });
  const known = sorted.every((g) => g.from !== undefined && g.to !== undefined);
  const from = known ? Math.min(...sorted.map((g) => g.from!)) : undefined;
  const to = known ? Math.max(...sorted.map((g) => g.to!)) : undefined;
  return { quote: parts.filter((p) => p !== '').join('\n\n'), locator: from !== undefined && to !== undefined ? `L${from}-L${to}` : undefined };
}

/**
 * A block too long to quote whole keeps MAX_QUOTE_CHARS of its lines: a code block its start
 * (and a closing fence), prose the lines around its best line (`focus` scores a line by its index),
 * since an essay's paragraph can run over several chunks and the match is rarely at its start.
 */
function clip(b: Block, focus?: (j: number, line: string) => number): Block {
  if (b.text.length <= MAX_QUOTE_CHARS * 1.5) return b;
  const lines = b.text.split('\n');
  let lo = 0;
  if (focus && b.kind !== 'code') {
    const sc = lines.map((l, j) => focus(j, l));
    lo = sc.reduce((best, x, j) => (x > sc[best] ? j : best), 0);
  }
  let hi = lo;
  let len = lines[lo].length + 1;
  // Grow after the best line first (what follows a match explains it), then before it.
  while (hi + 1 < lines.length && len + lines[hi + 1].length <= MAX_QUOTE_CHARS) len += lines[++hi].length + 1;
  while (lo > 0 && len + lines[lo - 1].length <= MAX_QUOTE_CHARS) len += lines[--lo].length + 1;
  const kept = lines.slice(lo, hi + 1);
  if (b.kind === 'code') kept.push('…', '```');
  return { ...b, text: kept.join('\n'), from: b.from !== undefined ? b.from + lo : undefined, to: b.from !== undefined ? b.from + hi : undefined };
}

/** A paragraph ending in a colon, or a short step, introduces the code block after it. */
function introduces(b: Block): boolean {
  return (b.kind === 'para' && /[:：]\s*$/.test(b.text)) || (b.kind === 'item' && b.text.length < 160 && !b.text.includes('\n'));
}

/** The question terms in a source's title together count as this share of the heaviest of them. */
const TITLE_TERMS = 0.3;

/**
 * The weights with the terms of the source's title scaled down together: a name the question
 * shares with the title ("Kai-Fu Lee": kai, fu, kai-fu, lee) is one idea, not four.
 */
function topicDiscounted(weights: Weights, title: string | undefined, phrases: string[]): Weights {
  const inTitle = new Set(terms(title ?? ''));
  const shared = [...weights].filter(([t]) => inTitle.has(t)).map(([, w]) => w);
  if (shared.length === 0) return weights;
  // A question about the phrase the title names ("“一切都要支付两次”是什么意思？" of the issue so
  // named): its terms are what the answering sentences say, not what the whole source is about.
  if (phrases.some((p) => terms(p).every((t) => inTitle.has(t)))) return weights;
  const factor = (TITLE_TERMS * Math.max(...shared)) / shared.reduce((a, b) => a + b, 0);
  const out: Weights = new Map();
  out.expansion = weights.expansion;
  for (const [t, w] of weights) out.set(t, inTitle.has(t) ? w * factor : w);
  return out;
}

/** The matching sentence of a unit that took the sentence after it (what its own score is of). */
function firstSentence(b: Block, unit: string): string {
  if (b.kind !== 'para' && b.kind !== 'quote') return unit;
  return splitSentences(unit)[0] ?? unit;
}

/** A block of images alone (`![](…/bg2025022704.webp)`): its words are a file name. */
function onlyPictures(text: string): boolean {
  return text.includes('![') && text.replace(/!\[[^\]]*\]\([^)]*\)/g, '').trim() === '';
}

/** An example short enough to show with the sentence that leads into it. */
const MAX_EXAMPLE = 400;

/**
 * The example a short paragraph leads into, for a how-question: the code block right after it, or
 * a quoted block (weekly newsletters quote their code as `> A.shape: cloud`). "Shapes can even be
 * a cloud." answers "how do I draw a cloud?" only with the line that does it.
 */
function example(blocks: Block[], i: number, how: boolean): string | undefined {
  const b = blocks[i];
  const next = blocks[i + 1];
  if (!how || b.kind !== 'para' || b.text.length > 200 || !next || next.text.length > MAX_EXAMPLE) return undefined;
  if (next.kind === 'code') return next.text;
  if (next.kind === 'quote') return next.text.replace(/^\s*>\s?/gm, '> ');
  return undefined;
}

/** Blocks as the quote shows them: a blank line between them, but a list's items on consecutive lines. */
function joined(blocks: Block[]): string {
  return blocks.map((b, k) => `${k === 0 ? '' : b.kind === 'item' && blocks[k - 1].kind === 'item' ? '\n' : '\n\n'}${b.text}`).join('');
}

/** A list or table short enough to lead with whole, after the sentence that introduces it. */
const MAX_STEPS = 600;

/**
 * The list or table a sentence ending in a colon leads into ("To backport a fix to R-patched:"
 * over its steps): the items right after it, or the table, when they fit in MAX_STEPS. Alone,
 * such a sentence promises the answer without giving it.
 */
function stepsAfter(blocks: Block[], i: number, unit: string): { text: string; last: number } | undefined {
  if (blocks[i].kind !== 'para' || !/[:：]\s*$/.test(unit)) return undefined;
  const next = blocks[i + 1];
  // A table ("The Rollout walks these canary steps on its own:" over its steps and pauses).
  if (next?.kind === 'para' && next.text.startsWith('|') && next.text.length <= MAX_STEPS) return { text: next.text, last: i + 1 };
  let last = i;
  let len = 0;
  while (blocks[last + 1]?.kind === 'item' && len + blocks[last + 1].text.length <= MAX_STEPS) len += blocks[++last].text.length + 1;
  if (last === i || blocks[last + 1]?.kind === 'item') return undefined;
  return { text: blocks.slice(i + 1, last + 1).map((b) => b.text).join('\n'), last };
}

/** One source: the best block, its lead-in and section heading, and what follows, within budget. */
function excerptOf(hit: SearchHit, win: Window, blocks: Block[], weights: Weights, how: boolean, quantities: Slot[], phrases: string[]): Excerpt & { segments: Segment[] } {
  const own = /^L(\d+)-L(\d+)$/.exec(hit.chunk.locator);
  const inHit = (b: Block): boolean =>
    own && b.from !== undefined ? b.to! >= Number(own[1]) && b.from <= Number(own[2]) : !win.hitLines || (b.span[1] >= win.hitLines[0] && b.span[0] <= win.hitLines[1]);
  // Inside a long block, the lines that match and the lines retrieval matched come first.
  const focusOf = (b: Block) => (j: number, line: string): number => {
    const n = own && b.from !== undefined ? b.from + j : undefined;
    const inside = n !== undefined ? n >= Number(own![1]) && n <= Number(own![2]) : win.hitLines ? b.span[0] + j >= win.hitLines[0] && b.span[0] + j <= win.hitLines[1] : false;
    return scoreText(line, weights) + (inside ? 0.5 : 0);
  };
  // The chunk retrieval matched is the likeliest answer: elsewhere in the window must match better.
  const scores = blocks.map((b) => scoreBlock(b, weights, how) * (inHit(b) ? HIT_BONUS : 1) + (inHit(b) ? 0.01 : 0));
  // The quote is anchored in the matched chunk; better matches elsewhere in the window are added
  // after an ellipsis (below), and the lead picks from the whole window.
  const top = scores.reduce((best, sc, i) => (sc > scores[best] ? i : best), 0);
  const ownBest = blocks.reduce((best, b, i) => (b.kind !== 'heading' && inHit(b) && (best < 0 || scores[i] > scores[best]) ? i : best), -1);
  let anchor = ownBest >= 0 ? ownBest : top;
  if (blocks[anchor]?.kind === 'heading') anchor = blocks.findIndex((b) => b.kind !== 'heading');
  if (anchor < 0) return { hit, quote: shownText(hit.chunk.text, hit.chunk.kind).trim(), lead: [], segments: [] };
  let first = anchor;
  // The matched chunk is quoted from its start when that fits: retrieval found it for a reason the
  // words alone may not show (a paraphrase), and the answer is often a line above the best match.
  if (inHit(blocks[anchor])) {
    let start = anchor;
    while (start > 0 && inHit(blocks[start - 1]) && blocks.slice(start - 1, anchor + 1).reduce((n, b) => n + b.text.length, 0) <= MAX_QUOTE_CHARS) start--;
    first = start;
  }
  // A code block keeps the sentence or step that introduces it ("While the canary is still running:"),
  // an example the sentence that leads into it ("To make it a circle, write it like this.").
  if (first > 0 && ((blocks[first].kind === 'code' && introduces(blocks[first - 1])) || example(blocks, first - 1, how) !== undefined)) first--;
  // The section heading when it is close, so the quote says what it is about.
  if (first > 0 && blocks[first - 1].kind === 'heading') first--;
  else if (first > 1 && blocks[first - 2].kind === 'heading' && blocks[first - 1].text.length < 300) first -= 2;
  const picked = blocks.slice(first, anchor + 1).map((b) => clip(b, focusOf(b)));
  const pickedAt = picked.map((_, k) => first + k);
  let len = picked.reduce((n, b) => n + b.text.length, 0);
  for (let i = anchor + 1; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.kind === 'heading' && len >= 300) break;
    if (len + b.text.length > MAX_QUOTE_CHARS) break;
    picked.push(b);
    pickedAt.push(i);
    len += b.text.length;
  }
  while (picked.length > 1 && picked[picked.length - 1].kind === 'heading') {
    picked.pop();
    pickedAt.pop();
  }
  // A quote never stops on the sentence that leads into an example ("Shapes can even be a cloud."
  // over `A.shape: cloud`): the example comes too, past the budget if need be (it is short).
  const lastAt = pickedAt[pickedAt.length - 1];
  if (example(blocks, lastAt, how) !== undefined) {
    picked.push(blocks[lastAt + 1]);
    pickedAt.push(lastAt + 1);
  }
  // Other matches elsewhere in the window, nearly as good, are quoted too, after an ellipsis,
  // each with its section heading when that is just above ("## Fix forward instead when").
  // (By position: a clipped block is a copy, not found among the blocks.)
  const taken = new Set<number>(pickedAt);
  const segments: Segment[] = [
    { at: Math.min(...taken), end: Math.max(...taken), text: joined(picked), from: picked[0].from, to: picked[picked.length - 1].to },
  ];
  const others = scores
    .map((sc, i) => ({ sc, i }))
    .filter(({ sc, i }) => sc > 0 && sc >= OTHER_RATIO * scores[top] && blocks[i].kind !== 'heading' && !taken.has(i) && blocks[i].text.length <= MAX_QUOTE_CHARS / 2)
    .sort((x, y) => y.sc - x.sc)
    .slice(0, MAX_OTHERS);
  for (const { i } of others) {
    // Already quoted: the example of a sentence taken above, or another match's introduction.
    if (taken.has(i)) continue;
    let head = i;
    // A code block keeps its introduction ("6. **切换活跃账号并滚动重启**"), any block its heading.
    if (blocks[head].kind === 'code' && head > 0 && introduces(blocks[head - 1]) && !taken.has(head - 1)) head--;
    if (head > 0 && blocks[head - 1].kind === 'heading' && !taken.has(head - 1)) head--;
    // A sentence that leads into an example keeps it (as the quote above).
    const end = example(blocks, i, how) !== undefined && !taken.has(i + 1) ? i + 1 : i;
    for (let j = head; j <= end; j++) taken.add(j);
    const text = joined(blocks.slice(head, end + 1));
    segments.push({ at: head, end, text, from: blocks[head].from, to: blocks[end].to });
  }
  // The lead is scored by sentence, not by paragraph: a paragraph whose matches are spread over
  // several sentences says less than the one sentence that holds the question's rarer terms.
  // A source's sentences are scored with its title's terms discounted: the source is about them
  // all through ("李开复" in 李开复梳理人工智能 says nothing of where "Transformer" is explained).
  const focus = topicDiscounted(weights, hit.chunk.title, phrases);
  const unitScore = (w: Weights, b: Block, text: string): number => {
    const bonus = (inHit(b) ? HIT_BONUS : 1) * (b.kind === 'code' && how ? 1.4 : 1);
    const context = 0.3 * scoreText(b.heading ?? '', w);
    const own = scoreText(text, w);
    const whole = scoreBlock(b, w, how) / (b.kind === 'code' && how ? 1.4 : 1) - context;
    // "How big was the difference in payout?" is answered by the line with the sum, not by the
    // one that says most about payouts.
    const measured = quantities.some((q) => slotEvidence(q, [text]) === 1) ? QUANTITY_BONUS : 1;
    // The error message the asker quotes is in the build log, not in the sentence that says most about the build.
    const verbatim = phrases.some((p) => flat(text).includes(p)) ? PHRASE_BONUS : 1;
    // The sentence's own terms, and a little of the rest of its paragraph.
    return (own + 0.25 * Math.max(0, whole - own) + context) * bonus * measured * verbatim + (inHit(b) ? 0.01 : 0);
  };
  const lead = blocks
    .flatMap((b, i) => {
      // A table row, a bare heading or a picture is no answer on its own.
      if (b.kind === 'heading' || b.text.startsWith('|') || onlyPictures(b.text) || scores[i] <= 0) return [];
      const intro = b.kind === 'code' && i > 0 && introduces(blocks[i - 1]) ? `${bestUnit(blocks[i - 1], focus)}\n` : '';
      const whole = b.kind === 'para' || b.kind === 'quote' || clip(b) === b;
      const [u] = units(b, focus);
      if (!u) return [];
      const steps = stepsAfter(blocks, i, u.text);
      const code = example(blocks, i, how);
      const shown = code ?? steps?.text;
      const last = code !== undefined ? i + 1 : (steps?.last ?? i);
      const sentence = u.raw ?? firstSentence(b, u.text);
      const cite = `${whole ? (u.raw ?? u.text) : clip(b).text}${shown ? `\n\n${shown}` : ''}`;
      return [
        {
          text: `${intro}${whole ? u.text : clip(b).text}${shown ? `\n${shown}` : ''}`,
          score: unitScore(focus, b, sentence),
          cite: { text: cite, at: i, end: last, from: b.from, to: blocks[last].to },
        },
      ];
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 2);
  return { hit, ...render(segments), lead, segments };
}

/**
 * What of a quote's segment stays beside the lines a lead cites, so the same lines are not quoted
 * twice: none of a segment the cited lines hold whole (the sentence alone, quoted as another
 * match); the blocks before or after them of one that overlaps them (a quote that stopped halfway
 * through the steps the lead gives whole). A segment whose overlapping blocks were clipped (a long
 * block, the cited unit another part of it) stays as it is.
 */
function besideCite(g: Segment, cite: { text: string; at: number; end: number }, blocks: Block[]): Segment[] {
  if (g.end < cite.at || g.at > cite.end) return [g];
  if (g.at >= cite.at && g.end <= cite.end) return bare(cite.text).includes(bare(g.text)) ? [] : [g];
  if (g.at < cite.at && g.end <= cite.end) {
    const head = joined(blocks.slice(g.at, cite.at));
    return g.text.startsWith(head) ? [{ ...g, end: cite.at - 1, text: head, to: blocks[cite.at - 1].to }] : [g];
  }
  if (g.at >= cite.at && g.end > cite.end) {
    const tail = joined(blocks.slice(cite.end + 1, g.end + 1));
    return g.text.endsWith(tail) ? [{ ...g, at: cite.end + 1, text: tail, from: blocks[cite.end + 1].from }] : [g];
  }
  return [g];
}

/** Text compared without quote marks, emphasis and spacing (a lead sentence is a paragraph's lines joined). */
const bare = (text: string): string => text.replace(/^\s*>\s?/gm, '').replace(/\*\*/g, '').replace(/\s+/g, '');

export interface ExcerptContext {
  index: AvatarIndex;
  viewer: Viewer;
}

/**
 * Pick what to quote from each hit: whole blocks (code with its fences, list items, sentences)
 * around the best match, reaching into the neighbouring chunks of the same source.
 */
export function selectExcerpts(hits: SearchHit[], question: string, expansions: string[], ctx?: ExcerptContext, others: SearchHit[] = []): Excerpt[] {
  return withTermCache(() => excerptsOf(hits, question, expansions, ctx, others));
}

function excerptsOf(hits: SearchHit[], question: string, expansions: string[], ctx: ExcerptContext | undefined, others: SearchHit[]): Excerpt[] {
  const how = asksHow(question);
  const quantities = quantitiesAsked(question);
  const phrases = quotedPhrases(question);
  // A hit inside the window of a better one from the same source is quoted from that window (its
  // lines, and its best sentence as a lead): quoted again on its own, the same lines came twice.
  const read: { hit: SearchHit; win: Window; blocks: Block[] }[] = [];
  const inRead = (hit: SearchHit): boolean => read.some((r) => r.hit.chunk.source === hit.chunk.source && r.win.chunkIds.includes(hit.chunk.id));
  for (const hit of hits.slice(0, MAX_SOURCES)) {
    if (inRead(hit)) continue;
    const win = windowOf(hit, ctx);
    read.push({ hit, win, blocks: parseBlocks(win) });
  }
  const weights = aboutThePhrases(rarityWeighted(queryWeights(question, expansions), read.flatMap((r) => r.blocks)), phrases);
  const drafts = read.map((r) => excerptOf(r.hit, r.win, r.blocks, weights, how, quantities, phrases));
  // What the answer leads with is in the quote it cites: a lead sentence from elsewhere in the
  // window (or clipped off a long paragraph) is quoted too, after an ellipsis.
  for (const u of leadUnits(drafts)) {
    const d = drafts[u.n - 1];
    const cite = d.lead[u.j]?.cite;
    if (!cite || bare(d.quote).includes(bare(cite.text))) continue;
    const { blocks } = read[u.n - 1];
    d.segments = d.segments.flatMap((g) => besideCite(g, cite, blocks));
    d.segments.push({ at: cite.at, end: cite.end, text: cite.text, from: cite.from, to: cite.to });
    Object.assign(d, render(d.segments));
  }
  const out: Excerpt[] = drafts.map(({ segments: _segments, ...e }) => e);
  // The next sources retrieval found, left out of the pool, are quoted by their best unit alone
  // when it holds a word of the question that no quote holds: the part of the question the
  // quoted sources leave open ("write_PACKAGES" in the message after the one that matched best).
  const quoted = new Set(out.flatMap((e) => terms(e.quote)));
  const asked = [...weights.keys()].filter((t) => !weights.expansion?.has(t));
  for (const hit of others.slice(0, BRIEF_SOURCES)) {
    if (inRead(hit)) continue;
    const win = windowOf(hit, ctx);
    const [best] = excerptOf(hit, win, parseBlocks(win), weights, how, quantities, phrases).lead;
    if (!best?.cite || best.cite.text.length > MAX_BRIEF) continue;
    const words = new Set(terms(best.text));
    if (!asked.some((t) => words.has(t) && !quoted.has(t))) continue;
    const { from, to } = best.cite;
    out.push({ hit, quote: best.cite.text, locator: from !== undefined && to !== undefined ? `L${from}-L${to}` : undefined, lead: [] });
    for (const t of words) quoted.add(t);
  }
  return out;
}

/** The one to three units the answer leads with, each with its source number. */
export function leadUnits(excerpts: Excerpt[]): { text: string; n: number; j: number }[] {
  // Retrieval's order counts: a later source must match clearly better to lead.
  const all = excerpts.flatMap((e, i) => e.lead.map((l, j) => ({ text: l.text, score: l.score * (1 - 0.2 * i), n: i + 1, j })));
  if (all.length === 0) return [];
  const best = Math.max(...all.map((x) => x.score));
  const out: { text: string; n: number; j: number }[] = [];
  for (const x of all.sort((a, b) => b.score - a.score || a.n - b.n)) {
    if (out.length >= MAX_LEAD) break;
    // The runner-up units must be nearly as good (a decision and its reason are both wanted); from
    // other sources, better still.
    if (out.length > 0 && x.score < (x.n === out[0].n ? 0.5 : 0.6) * best) continue;
    // Nor one another's part (an example led with after its sentence, and again as a unit of its own).
    if (out.some((o) => bare(o.text).includes(bare(x.text)) || bare(x.text).includes(bare(o.text)))) continue;
    out.push({ text: x.text, n: x.n, j: x.j });
  }
  return out;
}

function describe(hit: SearchHit, lang: Lang): string {
  const c = hit.chunk;
  const name = c.title ?? c.source.split('/').pop() ?? c.source;
  const date = c.date ? c.date.slice(0, 10) : '';
  if (lang === 'zh') {
    const kind = c.kind === 'email' ? '邮件' : c.kind === 'slack' || c.kind === 'feishu' ? '消息' : '文档';
    return `${kind}《${name}》${date ? `（${date}）` : ''}`;
  }
  const kind = c.kind === 'email' ? 'e-mail' : c.kind === 'slack' || c.kind === 'feishu' ? 'message' : 'document';
  return `${kind} "${name}"${date ? ` (${date})` : ''}`;
}

function quoteBlock(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function leadLine(u: { text: string; n: number }): string {
  const text = u.text.trim();
  // A code block, a table, or a quoted example after the sentence that leads into it, carries the
  // citation on the line above it, so the fence or the last row stays whole; the code's own `>`
  // (a prompt) stays too.
  const split = text.search(/^(```|~~~)|(?<=\n)\s*[>|]/m);
  const head = (split < 0 ? text : text.slice(0, split)).replace(/^\s*>\s?/gm, '').trim();
  if (split < 0) return `${head} [${u.n}]`;
  return head === '' ? `[${u.n}]\n${text.slice(split)}` : `${head} [${u.n}]\n${text.slice(split)}`;
}

/**
 * Compose the offline answer: lead with the one to three units that answer the question, each
 * cited, then the supporting passages, quoted whole and numbered.
 */
export function composeOffline(config: AvatarConfig, excerpts: Excerpt[], lang: Lang): string {
  const name = lang === 'zh' ? config.person.name : (config.person.name_en ?? config.person.name);
  const lead = leadUnits(excerpts).map(leadLine);
  const preface =
    lang === 'zh'
      ? `以下引自${name}的资料（离线模式：直接引用，不做生成）：`
      : `Quoted from ${name}'s material (offline mode: quoted, not generated):`;
  const blocks = excerpts.map((e, i) => {
    const head = lang === 'zh' ? `[${i + 1}] ${describe(e.hit, lang)}：` : `[${i + 1}] From the ${describe(e.hit, lang)}:`;
    return `${head}\n${quoteBlock(e.quote)}`;
  });
  return [...lead, preface, ...blocks].join('\n\n');
}

export function nothingFound(config: AvatarConfig, lang: Lang, topics: string[]): string {
  const name = lang === 'zh' ? config.person.name : (config.person.name_en ?? config.person.name);
  const list = topics.slice(0, 5).join(lang === 'zh' ? '、' : ', ');
  if (lang === 'zh') {
    return `${name}的资料里没有关于这个问题的内容，我不想凭空猜测。${list ? `我能回答的主题包括：${list}。` : ''}`;
  }
  return `I don't have anything on that in ${name}'s material, and I won't guess.${list ? ` Topics I can answer from: ${list}.` : ''}`;
}
