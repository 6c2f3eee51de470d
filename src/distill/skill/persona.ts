import { collectSentences, pickDiverse } from './cues';
import type { ChunkView, CorpusView } from './corpus-view';
import { BOUNDARY, BOUNDARY_ZH, EMOJI, IMPERATIVE, IMPERATIVE_ZH } from './patterns';
import { quote, wordCount } from './text';
import type { Claim, PersonaKey } from './types';

/** A message's chunks joined: style is a property of messages, not of chunks. */
interface Message {
  items: ChunkView[];
  body: string;
  words: number;
}

function messagesOf(view: CorpusView): Message[] {
  const map = new Map<string, ChunkView[]>();
  for (const it of view.items) {
    if (it.forward && !it.sentences.length) continue;
    const l = map.get(it.messageKey) ?? [];
    l.push(it);
    map.set(it.messageKey, l);
  }
  return [...map.values()].map((items) => {
    const body = items.map((i) => i.clean.body).join('\n');
    return { items, body, words: Math.round(wordCount(body)) };
  });
}

const pct = (n: number, d: number) => (d ? Math.round((100 * n) / d) : 0);

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function ids(ms: readonly Message[], n = 3): number[] {
  return [...new Set(ms.flatMap((m) => m.items.map((i) => i.chunk.id)))].slice(0, n);
}

/** Examples spread over the material rather than the first few. */
function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]);
}

const HEDGE = /\b(?:i think|i guess|maybe|probably|perhaps|not sure|i believe|might be|seems like|i suspect)\b|(?:我觉得|可能|也许|大概|不确定|应该是)/i;
const CONTRACTION = /\b\w+'(?:t|s|re|ve|ll|d|m)\b/i;
const REQUEST = /\b(?:please|can you|could you|would you|let me know)\b|(?:请|麻烦|帮忙|能不能|可以.{0,6}吗)/i;

export function persona(view: CorpusView): Record<PersonaKey, Claim[]> {
  const msgs = messagesOf(view);
  const out: Record<PersonaKey, Claim[]> = { tone: [], phrases: [], languageMix: [], formality: [], greetings: [], boundaries: [] };
  if (!msgs.length) return out;
  const N = msgs.length;

  // Tone: length, questions, requests, hedges.
  const lengths = msgs.map((m) => m.words).sort((a, b) => a - b);
  const median = quantile(lengths, 0.5);
  const typical = [...msgs].sort((a, b) => Math.abs(a.words - median) - Math.abs(b.words - median)).filter((m) => m.words > 3);
  const questions = msgs.filter((m) => /[?？]/.test(m.body));
  const requests = msgs.filter((m) => REQUEST.test(m.body) || m.items.some((i) => i.sentences.some((s) => IMPERATIVE.test(s) || IMPERATIVE_ZH.test(s))));
  const hedges = msgs.filter((m) => HEDGE.test(m.body));
  const brevity = median <= 25 ? 'Brief' : median <= 80 ? 'Moderate length' : 'Long-form';
  out.tone.push({
    text: `${brevity}: median message ${median} words (middle half ${quantile(lengths, 0.25)}–${quantile(lengths, 0.75)}, over ${N} messages); for example ${quote(typical[0]?.body ?? '', 140)}`,
    anchors: ids(typical.slice(0, 3)),
  });
  if (requests.length) {
    const ex = spread(requests.filter((m) => m.words <= 40 && m.words >= 4), 3);
    out.tone.push({ text: `Direct: ${pct(requests.length, N)}% of messages ask for something or give an instruction; for example ${quote(ex[0]?.body ?? requests[0].body, 120)}`, anchors: ids(ex.length ? ex : requests) });
  }
  if (questions.length) out.tone.push({ text: `Asks questions in ${pct(questions.length, N)}% of messages.`, anchors: ids(spread(questions, 3)) });
  out.tone.push(
    hedges.length / N >= 0.05
      ? { text: `Hedges in ${pct(hedges.length, N)}% of messages (“I think”, “probably”, 我觉得); for example ${quote(hedges[0].items[0].sentences.find((s) => HEDGE.test(s)) ?? hedges[0].body, 120)}`, anchors: ids(spread(hedges, 3)) }
      : { text: `Rarely hedges: “I think”, “maybe” and the like in ${pct(hedges.length, N)}% of messages; states things flatly, e.g. ${quote(typical[1]?.body ?? typical[0]?.body ?? '', 100)}`, anchors: ids(typical.slice(1, 3).length ? typical.slice(1, 3) : typical.slice(0, 1)) },
  );

  out.phrases = phrases(view, msgs);
  out.languageMix = languageMix(msgs);
  out.formality = formality(msgs);
  out.greetings = greetings(msgs);
  out.boundaries = pickDiverse(
    collectSentences(view, (s) => BOUNDARY.test(s) || BOUNDARY_ZH.test(s)),
    4,
  ).map((c) => ({ text: quote(c.text, 200), anchors: c.ids.slice(0, 3) }));
  return out;
}

// Phrases must not start or end on these: "of the", "and I" are glue, not habits.
const EDGE_STOP = new Set('a an the of to in on at for and or but with from by as is are was be it this that i you we he she they my your our'.split(' '));

const AUX = new Set('have has had been be was were is are will would can could do does did know what that there get got been going'.split(' '));

function phrases(view: CorpusView, msgs: readonly Message[]): Claim[] {
  const seen = new Map<string, { msgs: Set<Message>; surface: string }>();
  const bump = (gram: string, m: Message) => {
    let e = seen.get(gram);
    if (!e) seen.set(gram, (e = { msgs: new Set(), surface: gram }));
    e.msgs.add(m);
  };
  for (const m of msgs) {
    for (const it of m.items) {
      for (const s of it.sentences) {
        // Names, identifiers and links are topics, not habits of speech.
        const words = s
          .replace(/https?:\/\/\S+|\S+@\S+|`[^`]*`/g, ' | ')
          .split(/\s+/)
          .map((w) => w.replace(/^[("“']+|[)"”'.,;:!?]+$/g, ''))
          .map((w, i) => (/^[a-z][a-z'’]*$/.test(w) || (i === 0 && /^[A-Z][a-z'’]*$/.test(w)) || w === 'I' ? w.toLowerCase() : '|'));
        for (let n = 2; n <= 4; n++) {
          for (let i = 0; i + n <= words.length; i++) {
            const g = words.slice(i, i + n);
            if (g.includes('|') || EDGE_STOP.has(g[0]) || EDGE_STOP.has(g[n - 1]) || g.every((w) => AUX.has(w))) continue;
            bump(g.join(' '), m);
          }
        }
        for (const run of s.match(/[\u4e00-\u9fff]{3,}/g) ?? []) {
          const chars = [...run];
          for (let n = 3; n <= 5; n++) for (let i = 0; i + n <= chars.length; i++) bump(chars.slice(i, i + n).join(''), m);
        }
      }
    }
  }
  const min = Math.max(3, Math.ceil(msgs.length * 0.01));
  let grams = [...seen.entries()].filter(([, e]) => e.msgs.size >= min);
  // Keep the longest form of a phrase when a longer one is (almost) as common.
  grams = grams.filter(([g, e]) => !grams.some(([h, f]) => h !== g && h.includes(g) && f.msgs.size >= e.msgs.size * 0.8));
  grams.sort((a, b) => b[1].msgs.size * b[0].length ** 0.5 - a[1].msgs.size * a[0].length ** 0.5 || a[0].localeCompare(b[0]));
  void view;
  return grams.slice(0, 8).map(([g, e]) => ({ text: `${quote(g, 60)} — in ${e.msgs.size} messages`, anchors: ids(spread([...e.msgs], 3)) }));
}

function languageMix(msgs: readonly Message[]): Claim[] {
  const by: Record<string, Message[]> = { en: [], zh: [], mixed: [], other: [] };
  for (const m of msgs) {
    const langs = new Set(m.items.map((i) => i.lang).filter((l) => l !== 'other'));
    const l = langs.size === 0 ? 'other' : langs.size > 1 ? 'mixed' : [...langs][0];
    by[l].push(m);
  }
  const N = msgs.length;
  const parts = [
    ['English', by.en],
    ['Chinese', by.zh],
    ['mixed Chinese and English', by.mixed],
  ] as const;
  const out: Claim[] = [];
  for (const [label, ms] of parts) {
    if (!ms.length) continue;
    const ex = spread(ms, 2);
    out.push({ text: `${label}: ${pct(ms.length, N)}% of messages (${ms.length} of ${N}); e.g. ${quote(ex[0].body, 90)}`, anchors: ids(ex) });
  }
  const withCode = msgs.filter((m) => m.items.some((i) => i.clean.code.length > 0));
  if (withCode.length) out.push({ text: `Code, commands or identifiers in backticks in ${pct(withCode.length, N)}% of messages; technical terms stay as written.`, anchors: ids(spread(withCode, 3)) });
  return out;
}

function formality(msgs: readonly Message[]): Claim[] {
  const N = msgs.length;
  const emoji = msgs.filter((m) => (m.body.match(EMOJI) ?? []).length > 0);
  const contractions = msgs.filter((m) => CONTRACTION.test(m.body));
  const lower = msgs.filter((m) => /^[a-z]/.test(m.body.trim()));
  const exclaim = msgs.filter((m) => /[!！]/.test(m.body));
  const polite = msgs.filter((m) => /\b(?:please|thank|thanks|appreciate)\b|(?:请|谢谢|感谢|您)/i.test(m.body));
  const out: Claim[] = [];
  const register = emoji.length / N > 0.15 || lower.length / N > 0.3 ? 'Informal' : contractions.length / N > 0.3 ? 'Conversational' : 'Plain and businesslike';
  const sample = spread(msgs.filter((m) => m.words >= 6 && m.words <= 50), 2);
  out.push({
    text: `${register}: emoji in ${pct(emoji.length, N)}% of messages, contractions in ${pct(contractions.length, N)}%, exclamation marks in ${pct(exclaim.length, N)}%, lower-case starts in ${pct(lower.length, N)}%.`,
    anchors: ids(sample.length ? sample : msgs.slice(0, 2)),
  });
  if (polite.length) out.push({ text: `Courtesy words (please, thanks, 请, 谢谢) in ${pct(polite.length, N)}% of messages.`, anchors: ids(spread(polite, 3)) });
  if (emoji.length) {
    const counts = new Map<string, number>();
    for (const m of emoji) for (const e of m.body.match(EMOJI) ?? []) counts.set(e, (counts.get(e) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([e, c]) => `${e} (${c})`);
    out.push({ text: `Most used emoji: ${top.join(', ')}.`, anchors: ids(spread(emoji, 3)) });
  }
  return out;
}

/** "Jeff," and "Hi Karen," are one habit each: the name is not part of it. */
function greetingForm(g: string): string {
  const t = g.trim().replace(/[,，!！:：.。]+$/, '');
  const m = t.match(/^(hi|hello|hey|dear|good morning|morning)\b\s*(.*)$/i);
  if (m) return m[2] && !/^(?:all|everyone|team|folks|there)$/i.test(m[2]) ? `${cap(m[1])} <name>,` : `${cap(m[1])}${m[2] ? ` ${m[2].toLowerCase()}` : ''},`;
  if (/^@?[A-Za-z][\w.'’-]*(?:\s[A-Z][\w.'’-]*)*$/.test(t) && !/^(?:all|everyone|team|folks)$/i.test(t)) return '<name>,';
  return `${t},`;
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1).toLowerCase();

function greetings(msgs: readonly Message[]): Claim[] {
  const N = msgs.length;
  const gForms = new Map<string, Message[]>();
  const sForms = new Map<string, Message[]>();
  for (const m of msgs) {
    const g = m.items[0].clean.greeting;
    if (g) gForms.set(greetingForm(g), [...(gForms.get(greetingForm(g)) ?? []), m]);
    const s = m.items.at(-1)?.clean.signoff;
    if (s) {
      const form = s.replace(/[,，.。!！]+/g, '').replace(/\s*\/\s*/g, ' / ');
      sForms.set(form, [...(sForms.get(form) ?? []), m]);
    }
  }
  const out: Claim[] = [];
  const greeted = [...gForms.values()].reduce((a, b) => a + b.length, 0);
  const gTop = [...gForms.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 3);
  if (gTop.length) {
    out.push({
      text: `Opens ${pct(greeted, N)}% of messages with a greeting; most often ${gTop.map(([f, ms]) => `“${f}” (${ms.length})`).join(', ')}.`,
      anchors: [...new Set(gTop.flatMap(([, ms]) => ids(ms, 1)))],
    });
  }
  const bare = msgs.filter((m) => !m.items[0].clean.greeting);
  if (bare.length && greeted) out.push({ text: `Starts straight in, with no greeting, in ${pct(bare.length, N)}% of messages.`, anchors: ids(spread(bare, 2)) });
  const signed = [...sForms.values()].reduce((a, b) => a + b.length, 0);
  const sTop = [...sForms.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 3);
  if (sTop.length && signed / N < 0.05) {
    out.push({ text: `Rarely signs off: only ${signed} of ${N} messages end with a closing such as “${sTop[0][0]}”; most end with the last point.`, anchors: [...new Set(sTop.flatMap(([, ms]) => ids(ms, 1)))] });
  } else if (sTop.length) {
    out.push({
      text: `Signs off in ${pct(signed, N)}% of messages; most often ${sTop.map(([f, ms]) => `“${f}” (${ms.length})`).join(', ')}.`,
      anchors: [...new Set(sTop.flatMap(([, ms]) => ids(ms, 1)))],
    });
  } else if (bare.length === N) {
    out.push({ text: `Neither greets nor signs off: all ${N} messages start and end with the matter at hand.`, anchors: ids(spread(msgs, 2)) });
  }
  return out;
}
