import { FORWARD_TEXT, FORWARD_TITLE } from './patterns';
import { contentTerms, SurfaceForms } from './terms';
import { scriptMix, type ScriptMix } from '../../text/lang';
import { cleanMessage, proseSentences, type CleanMessage } from './text';
import type { EvidenceChunk, SkillPerson } from './types';

/** One chunk, read once: cleaned prose, sentences, terms, language. */
export interface ChunkView {
  chunk: EvidenceChunk;
  /** The message a chunk belongs to (a mail, a chat message), or the document. */
  messageKey: string;
  clean: CleanMessage;
  sentences: string[];
  terms: string[];
  lang: ScriptMix;
  forward: boolean;
  /** Whether this is the first chunk of its message (greetings live there). */
  first: boolean;
}

export interface CorpusView {
  person: SkillPerson;
  items: ChunkView[];
  byId: Map<number, ChunkView>;
  /** In how many chunks each term occurs. */
  df: Map<string, number>;
  surfaces: SurfaceForms;
  /** Lower-cased words seen in lower case somewhere: a capitalised one of these is a common word. */
  lowerWords: Set<string>;
  /** How the subject's name may appear when they sign (lower-case, no spaces). */
  nameParts: string[];
  messages: number;
}

const DOC_LOCATOR = /^L\d+-L\d+$/;

export function messageKey(c: EvidenceChunk): string {
  return DOC_LOCATOR.test(c.locator) || !c.locator ? c.source : `${c.source}#${c.locator}`;
}

export function namePartsOf(person: SkillPerson): string[] {
  const parts = new Set<string>();
  for (const n of [person.name, person.name_en ?? '']) {
    const clean = n.replace(/\(.*?\)/g, ' ').trim();
    if (!clean) continue;
    parts.add(clean.replace(/[\s.,-]/g, '').toLowerCase());
    for (const w of clean.split(/[\s,]+/)) {
      if (w.length >= 1) parts.add(w.replace(/[.]/g, '').toLowerCase());
    }
    // Initials: "PKA", "PA".
    const words = clean.split(/\s+/).filter((w) => /^[A-Za-z]/.test(w));
    if (words.length > 1) parts.add(words.map((w) => w[0]).join('').toLowerCase());
  }
  parts.delete('');
  return [...parts];
}

export function buildView(person: SkillPerson, chunks: readonly EvidenceChunk[]): CorpusView {
  const surfaces = new SurfaceForms();
  const nameParts = namePartsOf(person);
  const df = new Map<string, number>();
  const lowerWords = new Set<string>();
  const seen = new Set<string>();
  const items: ChunkView[] = [];
  for (const chunk of chunks) {
    const key = messageKey(chunk);
    const first = !seen.has(key);
    seen.add(key);
    const clean = cleanMessage(chunk.text, nameParts);
    const terms = contentTerms(`${clean.body}\n${clean.code.filter((c) => c.length < 60).join(' ')}`, surfaces);
    for (const t of new Set(terms)) df.set(t, (df.get(t) ?? 0) + 1);
    for (const m of clean.body.matchAll(/(?:^|[^.!?\n]\s)([a-z][a-z'’]+)/g)) lowerWords.add(m[1]);
    items.push({
      chunk,
      messageKey: key,
      clean,
      sentences: proseSentences(clean.body),
      terms,
      lang: scriptMix(clean.body || chunk.text),
      forward: FORWARD_TITLE.test(chunk.title ?? '') || FORWARD_TEXT.test(chunk.text),
      first,
    });
  }
  return { person, items, byId: new Map(items.map((i) => [i.chunk.id, i])), df, surfaces, lowerWords, nameParts, messages: seen.size };
}

/** Inverse document frequency over the view's chunks. */
export function idf(view: CorpusView, term: string): number {
  return Math.log(1 + view.items.length / (1 + (view.df.get(term) ?? 0)));
}
