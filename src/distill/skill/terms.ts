import { stem, tokenize } from '../../retrieval/tokenize';
import { TERM_STOPWORDS } from '../../text/stopwords';

/**
 * Terms for people to read. The retrieval tokenizer stems ("trading" -> "trad"), which is right
 * for matching and wrong for display, so each stemmed key remembers its commonest surface form.
 */

const WEEKDAYS_MONTHS = new Set(
  ('monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october ' +
    'november december jan feb mar apr jun jul aug sep sept oct nov dec').split(' '),
);

const ACRONYM_STOP = new Set('I OK AM PM RE FW FWD CC BCC ASAP FYI TBD ETA PS NB IE EG ID II III IV TO IN ON AT IT IS OR AN A'.split(' '));

const LATIN = /[A-Za-z][A-Za-z0-9_]*(?:[-.'’][A-Za-z0-9_]+)*/g;

export function isStopWord(word: string): boolean {
  const w = word.toLowerCase().replace(/[’']/g, '');
  return TERM_STOPWORDS.has(w) || WEEKDAYS_MONTHS.has(w);
}

export function isCalendarWord(word: string): boolean {
  return WEEKDAYS_MONTHS.has(word.toLowerCase());
}

/** Collects surface forms per key so a key prints as people wrote it. */
export class SurfaceForms {
  private readonly forms = new Map<string, Map<string, number>>();

  add(key: string, surface: string): void {
    let m = this.forms.get(key);
    if (!m) this.forms.set(key, (m = new Map()));
    m.set(surface, (m.get(surface) ?? 0) + 1);
  }

  show(key: string): string {
    const m = this.forms.get(key);
    if (!m) return key;
    let best = key;
    let n = -1;
    for (const [s, c] of m) if (c > n || (c === n && s < best)) [best, n] = [s, c];
    return best;
  }
}

/** Content terms of a text: stemmed Latin words (no stop words) and CJK bigrams. */
export function contentTerms(text: string, surfaces?: SurfaceForms): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(LATIN)) {
    const raw = m[0].replace(/[’']s$/, '');
    const lower = raw.toLowerCase();
    if (lower.length < 3 && !/^[A-Z]{2}$/.test(raw)) continue;
    if (isStopWord(lower) || /^\d/.test(lower)) continue;
    const key = /[-.]/.test(lower) ? lower : stem(lower);
    out.push(key);
    // Sentence-initial capitals are not how a word is spelled.
    surfaces?.add(key, /^[A-Z][a-z]/.test(raw) && raw.length > 1 ? lower : raw);
  }
  for (const seg of text.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g) ?? []) {
    for (const t of tokenize(seg)) {
      out.push(t);
      surfaces?.add(t, t);
    }
  }
  return out;
}

/** A CJK bigram built on a particle (的问, 了一) reads as noise in a term list. */
export function isWeakTerm(term: string): boolean {
  return /[的了是在和与及或也就都把被给让对从向到这那个们吗呢吧啊呀么着过很还又再才要会能我你他她它一]/.test(term);
}

export type EntityKind = 'code' | 'acronym' | 'name' | 'identifier';

export interface Entity {
  term: string;
  kind: EntityKind;
  /** Whether the name starts a sentence (then it may only be a capitalised common word). */
  initial?: boolean;
}

/**
 * Names of things: inline code, identifiers (billing-db, user_data_dir(), RStudio, v2.3),
 * acronyms (VAR, NYMEX, P&L) and runs of capitalised words (San Marcos, Phantom Stock Account).
 */
export function namedEntities(text: string, code: readonly string[] = []): Entity[] {
  const out: Entity[] = [];
  for (const c of code) {
    const t = c.trim();
    if (t.length >= 2 && t.length <= 60 && !/\n/.test(t)) out.push({ term: t, kind: 'code' });
  }
  const prose = text.replace(/`[^`]*`/g, ' ').replace(/https?:\/\/\S+|<mailto:[^>]*>|\S+@\S+/g, ' ');
  for (const m of prose.matchAll(/\b[A-Za-z][\w]*(?:[-_.][\w]+)+\(?\)?|\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b|\b\w+\(\)/g)) {
    const t = m[0].replace(/[.]$/, '');
    // e.g., i.e., U.S. and version numbers alone are not names of things.
    if (/^(?:[a-z]\.)+[a-z]?$/i.test(t) || /^v?\d/.test(t) || t.length < 3) continue;
    if (/^[A-Z][a-z]+\.[A-Z][a-z]+$/.test(t)) continue; // sentence boundary without a space
    out.push({ term: t, kind: 'identifier' });
  }
  for (const m of prose.matchAll(/\b[A-Z][A-Z0-9&]{1,9}s?\b(?!\s+\d{5})/g)) {
    const t = m[0].replace(/s$/, '');
    if (!ACRONYM_STOP.has(t) && /[A-Z].*[A-Z&]/.test(t)) out.push({ term: t, kind: 'acronym' });
  }
  // Runs of capitalised words, remembering whether the run starts a sentence.
  for (const m of prose.matchAll(/(^|[.!?]\s+|\n\s*|[^A-Za-z0-9'’\s]\s*|\s)((?:[A-Z][a-z][\w'’&]*)(?:\s(?:of|de|del|la|and|&)?\s?[A-Z][a-z][\w'’&]*){0,3})/g)) {
    const initial = /^$|[.!?\n:]\s*$/.test(m[1]) || m.index === 0;
    let words = m[2].split(/\s+/);
    while (words.length && isStopWord(words[0])) words = words.slice(1);
    while (words.length && /^(?:of|de|del|la|and|&)$/.test(words[words.length - 1])) words = words.slice(0, -1);
    if (!words.length) continue;
    const term = words.join(' ').replace(/[’']s$/, '');
    if (words.length === 1 && (isCalendarWord(term) || term.length < 3)) continue;
    if (words.every((w) => isCalendarWord(w))) continue;
    out.push({ term, kind: 'name', initial: initial && words.length === m[2].split(/\s+/).length });
  }
  return out;
}
