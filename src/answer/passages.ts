import type { Viewer } from '../avatars/visibility';
import type { AvatarIndex, SearchHit } from '../retrieval/avatar-index';
import { DEFAULT_CHUNK_OVERLAP } from '../corpus/chunk';
import { slackDaySource } from '../corpus/slack-day';
import type { Chunk } from '../corpus/types';
import { tokenize } from '../retrieval/tokenize';
import { splitSentences } from '../text/sentences';
import { shownLines } from './source-text';

/**
 * The structure of a passage, so that an offline answer quotes whole things: a code block with
 * its fences, a list item with its continuation lines, a paragraph; never a bare heading.
 */
export type BlockKind = 'heading' | 'code' | 'item' | 'para' | 'quote';

export interface Block {
  kind: BlockKind;
  text: string;
  /** File lines (1-based) when the source has line locators. */
  from?: number;
  to?: number;
  /** The nearest heading above, for context and scoring. */
  heading?: string;
  /** Window lines (0-based, inclusive) the block spans. */
  span: [number, number];
}

export interface Window {
  lines: string[];
  /** Line number of lines[0], when the chunks carry `Lx-Ly` locators. */
  firstLine?: number;
  /** Without line locators: which window lines (0-based, inclusive) are the hit's own part. */
  hitLines?: [number, number];
  /** Ids of the chunks the window holds (the hit's and its neighbours'). */
  chunkIds: number[];
}

const LINE_LOCATOR = /^L(\d+)-L(\d+)$/;
/**
 * How many chunks each way a window reaches. A section's answer is often several chunks from the
 * one that matched the question (the root cause two sections below the timeline that matched),
 * and the demo documents run to a dozen chunks or so: the window is most of the document, and
 * the scoring below prefers the matched chunk when the rest is no better.
 */
const NEIGHBOURS = 6;

/**
 * The hit's chunk with its neighbours from the same source: chunkers cut inside code blocks
 * and sections, and the command someone needs is often just across the cut. Sources without
 * line locators (an e-mail split into parts) join the parts that share the hit's locator. A
 * message of a Slack export's day file joins the person's messages next to it that day (one
 * message is often a line whose point sits in the one before or after); they are cited to the
 * same day file.
 */
export function windowOf(hit: SearchHit, ctx?: { index: AvatarIndex; viewer: Viewer }): Window {
  const c = hit.chunk;
  const own = LINE_LOCATOR.exec(c.locator);
  const sameDay = c.kind === 'slack' && slackDaySource(c.source) !== undefined;
  const sameSource = (n: Chunk | undefined): n is Chunk =>
    Boolean(n && n.source === c.source && (own ? LINE_LOCATOR.test(n.locator) : (sameDay && n.author === c.author) || n.locator === c.locator));
  const neighbour = (id: number): Chunk | undefined => {
    if (!ctx) return undefined;
    const n = ctx.index.get(id);
    if (!sameSource(n)) return undefined;
    return ctx.index.canSee(ctx.viewer, n) ? n : undefined;
  };
  // NEIGHBOURS chunks each way, stopping at the first gap (another source, or one the viewer may not see).
  const before: Chunk[] = [];
  const after: Chunk[] = [];
  for (const [step, into] of [[-1, before], [1, after]] as const) {
    for (let d = 1; d <= NEIGHBOURS; d++) {
      const n = neighbour(c.id + step * d);
      if (!n) break;
      into.push(n);
    }
  }
  const chunkIds = [c.id, ...before.map((n) => n.id), ...after.map((n) => n.id)];
  if (!own) return { ...unitsWindow([...before.reverse(), c, ...after], c), chunkIds };
  const parts: { from: number; to: number; text: string }[] = [{ from: Number(own[1]), to: Number(own[2]), text: c.text }];
  for (const n of [...before, ...after]) {
    const m = LINE_LOCATOR.exec(n.locator);
    if (m) parts.push({ from: Number(m[1]), to: Number(m[2]), text: n.text });
  }
  parts.sort((a, b) => a.from - b.from);
  const lines: string[] = [];
  const first = parts[0].from;
  for (const p of parts) {
    const at = p.from - first;
    // Gaps between chunks are blank lines the chunker dropped; overlaps keep the earlier text.
    while (lines.length < at) lines.push('');
    const own = p.text.split('\n');
    for (let i = Math.max(0, lines.length - at); i < own.length; i++) lines.push(own[i]);
  }
  return { lines: shownLines(lines, c.kind), firstLine: first, chunkIds };
}

/**
 * A chat message's code fences on lines of their own. Slack writes "```R Under development" and
 * "compiler_4.1.0``` So it is Linux": in Markdown the first would hide its line as an info string
 * and the second would not close the block, which then swallows the reply that follows it.
 */
export function fencesOnOwnLines(text: string): string {
  if (!text.includes('```')) return text;
  return text
    .split('\n')
    .flatMap((line) => {
      if (/^\s*```\s*$/.test(line) || !line.includes('```')) return [line];
      return line
        .split('```')
        .flatMap((piece, i) => (i === 0 ? [piece.trimEnd()] : ['```', piece.trimEnd()]))
        .filter((piece) => piece.trim() !== '');
    })
    .join('\n');
}

/** Shortest overlap taken when it is not a whole line of both pieces. */
const MIN_OVERLAP = 8;

/**
 * How much of `next`'s start repeats `prev`'s end (the chunker's overlap between two pieces of one
 * unit), in characters: at most the chunker's overlap (DEFAULT_CHUNK_OVERLAP units, so at most that
 * many characters), so a line the unit repeats across the cut is not taken for more of it; under
 * MIN_OVERLAP characters only a whole line of both (a closing fence carried over alone).
 */
function overlapOf(prev: string, next: string): number {
  for (let n = Math.min(prev.length, next.length, DEFAULT_CHUNK_OVERLAP); n >= 1; n--) {
    if (!prev.endsWith(next.slice(0, n))) continue;
    if (n >= MIN_OVERLAP) return n;
    const wholeLine = (n === prev.length || prev[prev.length - n - 1] === '\n') && (n === next.length || next[n] === '\n');
    if (wholeLine) return n;
  }
  return 0;
}

/**
 * A window over sources without line locators: the parts in order, a blank line between units,
 * and the pieces of one unit (a long message or e-mail cut by the chunker, each sharing the
 * same locator) joined back into its text, their overlap once: quoted twice, a repeated line
 * read as a stutter and a repeated fence turned the rest of the message inside out. A chat
 * message's inline fences go on lines of their own, over the whole message (a piece can hold
 * only the opening one). `hitLines` are the window lines of the hit's own piece.
 */
function unitsWindow(parts: Chunk[], hit: Chunk): Omit<Window, 'chunkIds'> {
  const chat = hit.kind === 'slack' || hit.kind === 'feishu';
  const units: { text: string; hit?: [number, number] }[] = [];
  let last: Chunk | undefined;
  for (const p of parts) {
    const unit = units[units.length - 1];
    if (!unit || last?.locator !== p.locator) units.push({ text: p.text, ...(p === hit ? { hit: [0, p.text.length] as [number, number] } : {}) });
    else {
      const overlap = overlapOf(unit.text, p.text);
      // Without an overlap the chunker trimmed what stood between: a line break keeps words apart.
      const start = overlap > 0 ? unit.text.length - overlap : unit.text.length + 1;
      unit.text = overlap > 0 ? unit.text + p.text.slice(overlap) : `${unit.text}\n${p.text}`;
      if (p === hit) unit.hit = [start, unit.text.length];
    }
    last = p;
  }
  const shown = (text: string): string => (chat ? fencesOnOwnLines(text) : text);
  const lineCount = (text: string): number => text.split('\n').length;
  const lines: string[] = [];
  let hitLines: [number, number] = [0, 0];
  for (const u of units) {
    if (lines.length > 0) lines.push('');
    const text = shown(u.text).replace(/\s+$/, '');
    if (u.hit) hitLines = [lines.length + lineCount(shown(u.text.slice(0, u.hit[0]))) - 1, lines.length + lineCount(shown(u.text.slice(0, u.hit[1])).replace(/\s+$/, '')) - 1];
    lines.push(...text.split('\n'));
  }
  return { lines: shownLines(lines, hit.kind), hitLines };
}

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^#{1,6}\s+\S/;
const ITEM = /^\s*(?:[-*+]\s+|\d+[.)、]\s*|[（(]?\d+[)）]\s*)/;

/**
 * Split a window into blocks. Fences are balanced: a window that ends inside a code block is
 * closed; one that starts inside a code block (a fence that closes without opening) is opened.
 */
export function parseBlocks(win: Window): Block[] {
  const lines = [...win.lines];
  const fences = lines.map((l, i) => (FENCE.test(l) ? i : -1)).filter((i) => i >= 0);
  let offset = 0;
  if (fences.length % 2 === 1) {
    const firstFence = lines[fences[0]].trim();
    const textBefore = lines.slice(0, fences[0]).some((l) => l.trim() !== '');
    if (firstFence === '```' && textBefore) {
      // A bare fence after text closes a block that began before the window: open it.
      lines.unshift('```');
      offset = -1;
    } else {
      lines.push('```');
    }
  }
  const lineNo = (i: number): number | undefined => (win.firstLine === undefined ? undefined : Math.max(win.firstLine, win.firstLine + i + offset));
  const blocks: Block[] = [];
  let heading: string | undefined;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const start = i;
    let kind: BlockKind;
    if (FENCE.test(line)) {
      kind = 'code';
      i++;
      while (i < lines.length && !FENCE.test(lines[i])) i++;
      i++;
    } else if (HEADING.test(line)) {
      kind = 'heading';
      i++;
    } else if (ITEM.test(line)) {
      kind = 'item';
      i++;
      // Continuation lines are indented (or a nested code block inside the item).
      while (i < lines.length && lines[i].trim() !== '' && /^\s{2,}\S/.test(lines[i]) && !ITEM.test(lines[i])) i++;
      while (i < lines.length && /^\s{2,}(```|~~~)/.test(lines[i])) {
        i++;
        while (i < lines.length && !/^\s*(```|~~~)/.test(lines[i])) i++;
        i++;
      }
    } else if (/^\s*>/.test(line)) {
      kind = 'quote';
      while (i < lines.length && /^\s*>/.test(lines[i])) i++;
    } else {
      kind = 'para';
      i++;
      while (i < lines.length && lines[i].trim() !== '' && !FENCE.test(lines[i]) && !HEADING.test(lines[i]) && !ITEM.test(lines[i])) i++;
    }
    let text = lines.slice(start, Math.min(i, lines.length)).join('\n').replace(/\s+$/, '');
    if (kind === 'code') text = dedent(text);
    const end = Math.min(i, lines.length) - 1;
    blocks.push({ kind, text, from: lineNo(start), to: lineNo(end), heading, span: [Math.max(0, start + offset), Math.max(0, end + offset)] });
    if (kind === 'heading') heading = line.replace(/^#+\s+/, '').trim();
  }
  return blocks;
}

/** Remove the indentation a code block shares (one nested in a list item), so its fences stay fences. */
function dedent(text: string): string {
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^\s*/.exec(l)![0].length));
  return indent > 0 ? lines.map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length))).join('\n') : text;
}

/**
 * The terms an answer is scored by: the index's tokens, with the final e of a longer word dropped
 * as Porter's stemmer drops it. The light stemmer keeps it in "change" but strips "changing" to
 * "chang" (and "squeeze"/"squeezed"), so a question's word missed the sentence that used its other form.
 */
export function terms(text: string): string[] {
  const known = termCache?.get(text);
  if (known) return known;
  const out = tokenize(text).map((t) => (t.length > 4 && t.endsWith('e') && /^[a-z]+$/.test(t) ? t.slice(0, -1) : t));
  termCache?.set(text, out);
  return out;
}

/** The terms of the texts one answer has scored so far (see withTermCache); shared, so never changed in place. */
let termCache: Map<string, string[]> | undefined;

/**
 * Runs synchronous work that scores text with each text's terms worked out once: choosing an
 * answer's quotes scores the same blocks and sentences again and again (the question, the window,
 * its blocks, their sentences, the lead candidates), about two thirds of it repeats. The cache
 * lives for the call only, so nothing carries over from one answer to the next.
 */
export function withTermCache<T>(work: () => T): T {
  if (termCache) return work();
  termCache = new Map();
  try {
    return work();
  } finally {
    termCache = undefined;
  }
}

/** Question terms and their weights; `expansion` holds the terms that only an expansion added. */
export type Weights = Map<string, number> & { expansion?: Set<string> };

export function queryWeights(question: string, expansions: string[]): Weights {
  const weights: Weights = new Map();
  weights.expansion = new Set();
  for (const t of terms(question)) weights.set(t, 1);
  for (const e of expansions) {
    for (const t of terms(e)) {
      if (weights.has(t)) continue;
      weights.set(t, 0.5);
      weights.expansion.add(t);
    }
  }
  return weights;
}

/**
 * Scale each question term by how rare it is among the blocks read for this answer: in a
 * runbook about billing-gateway, "billing-gateway" is in every block and says nothing about which
 * one answers, while "replicas" picks out the one line that does.
 */
export function rarityWeighted(weights: Weights, blocks: Block[]): Weights {
  const texts = [...new Set(blocks.filter((b) => b.kind !== 'heading').map((b) => b.text))].map((t) => new Set(terms(t)));
  const n = texts.length;
  if (n === 0) return weights;
  const out: Weights = new Map();
  out.expansion = weights.expansion;
  for (const [t, w] of weights) {
    const df = texts.reduce((k, toks) => k + (toks.has(t) ? 1 : 0), 0);
    out.set(t, df === 0 ? w : w * Math.log(1 + n / df));
  }
  return out;
}

/** How-to questions want the command, not the prose around it. */
export function asksHow(question: string): boolean {
  if (/\b(how|command|steps?)\b|怎么|如何|命令|步骤/i.test(question)) return true;
  // "When should I roll back…" asks for the criteria, "why did we deploy…" for a reason: not a command.
  if (/^\s*(why|when|who|whether|is|are|should)\b|为什么|什么时候|谁/i.test(question)) return false;
  return /\b(run|abort|roll ?back|rotate|restart|deploy|release)\b|执行|操作/i.test(question);
}

/**
 * A text's match: the question's own terms count in full, the expansions' together count at most
 * as much as EXPANSION_CAP of the question's terms. Expansions are several words for one idea
 * (11.11 → 双十一, 大促, 复盘…), and a block that piles them up is not a better answer than one
 * holding the words the asker used.
 */
export function scoreText(text: string, weights: Weights): number {
  const toks = new Set(terms(text));
  let own = 0;
  let expanded = 0;
  for (const [t, w] of weights) {
    if (!toks.has(t)) continue;
    if (weights.expansion?.has(t)) expanded += w;
    else own += w;
  }
  return own + Math.min(expanded, EXPANSION_CAP * maxOwnWeight(weights));
}

const EXPANSION_CAP = 1;

function maxOwnWeight(weights: Weights): number {
  let m = 0;
  for (const [t, w] of weights) if (!weights.expansion?.has(t) && w > m) m = w;
  return m || 1;
}

export function scoreBlock(b: Block, weights: Weights, how: boolean): number {
  if (b.kind === 'heading') return 0;
  let s = scoreText(b.text, weights) + 0.3 * scoreText(b.heading ?? '', weights);
  if (b.kind === 'code' && how) s *= 1.4;
  return s;
}

/** The sentences of a paragraph or quote, its lines joined into one flow of text. */
function sentencesOf(b: Block): string[] {
  const flat = b.text.replace(/^\s*>\s?/gm, '').replace(/([\u3400-\u9fff，。])\n(?=[\u3400-\u9fff])/g, '$1').replace(/\n/g, ' ');
  return splitSentences(flat);
}

/** The best sentence of a paragraph (a list item or code block is one unit). */
export function bestUnit(b: Block, weights: Weights): string {
  return units(b, weights)[0]?.text ?? b.text;
}

/**
 * A plain-text paragraph laid out by hand, as a cheat sheet is: a title line and indented
 * commands under it ("LONG TRANSACTIONS (run on primary)" / "  SELECT pid, …").
 */
export function preformatted(b: Block): boolean {
  if (b.kind !== 'para') return false;
  const rest = b.text.split('\n').slice(1);
  // Indented lines of commands or columns (`;`, `_`, `=`, `()`, `->`, a gap between columns), not
  // an essay's hanging indent ("  increase the parts of your job that you like").
  const laidOut = (l: string): boolean => /^\s{2,}\S/.test(l) && /[_;=(){}<>|$#]|->|--|[^\s.!?]\s{3,}\S/.test(l);
  return rest.length > 0 && rest.filter(laidOut).length * 2 >= rest.length;
}

/** A laid-out block whole when short, else each line with the more indented lines under it. */
function groupsOf(text: string): string[] {
  if (text.length <= 2 * MAX_UNIT) return [text];
  const indent = (l: string): number => /^\s*/.exec(l)![0].length;
  const groups: string[][] = [];
  for (const line of text.split('\n')) {
    const open = groups[groups.length - 1];
    if (open && indent(line) > indent(open[0])) open.push(line);
    else groups.push([line]);
  }
  return groups.map((g) => g.join('\n'));
}

/** A lead unit long enough to stand alone; a shorter sentence takes the one after it. */
const SHORT_UNIT = 90;
const MAX_UNIT = 320;

/**
 * A block's answer units, best first, each scored by the question terms it holds itself: a
 * paragraph's sentences (a sentence that matches takes the next one when it is short, since what
 * follows a match explains it), or a list item or code block whole.
 */
export function units(b: Block, weights: Weights): { text: string; score: number; raw?: string }[] {
  if (b.kind !== 'para' && b.kind !== 'quote') return [{ text: b.text, score: scoreText(b.text, weights) }];
  if (preformatted(b)) {
    // Its lines are columns and commands, not a flow of text: joined they read as noise.
    return groupsOf(b.text)
      .map((g, at) => ({ text: `\`\`\`\n${dedent(g)}\n\`\`\``, raw: g, score: scoreText(g, weights), at }))
      .sort((x, y) => y.score - x.score || x.at - y.at)
      .map(({ text, raw, score }) => ({ text, raw, score }));
  }
  const sentences = sentencesOf(b);
  if (sentences.length === 0) return [{ text: b.text, score: scoreText(b.text, weights) }];
  const out = sentences.map((s, i) => {
    let text = s;
    const next = sentences[i + 1];
    if (next !== undefined && s.length < SHORT_UNIT && s.length + next.length <= MAX_UNIT) text = `${s}${/[\u3400-\u9fff。！？]$/.test(s) ? '' : ' '}${next}`;
    return { text, score: scoreText(s, weights), at: i };
  });
  return out.sort((x, y) => y.score - x.score || x.at - y.at).map(({ text, score }) => ({ text, score }));
}
