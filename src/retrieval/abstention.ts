import fitted from './abstention-weights.json';
import type { FileScore } from './fusion';
import type { LexicalIndex, WeightedTerm } from './lexical-index';
import { hasCjk, isCjkToken } from '../text/cjk';
import { questionParts, slotEvidence, slotOf } from './answer-type';
import { CHAR_PREFIX, tokenize } from './tokenize';

/**
 * Calibrated abstention: whether retrieval found something about the question, from several
 * signals at once (a single score threshold told answerable from unanswerable questions apart
 * with a balanced accuracy of only ~0.6-0.7). The weights are a logistic regression fitted on
 * the dev QA sets by `node dist/bench/fit-abstention.js` (leave-one-set-out); the held-out sets
 * were only ever reported.
 */
export interface AbstentionSignals {
  /** Share of the question's own terms (IDF mass) found in the best of the top hits. */
  coverage: number;
  /** The same for the question's rare terms only (the ones that say what it is about). */
  rareCoverage: number;
  /** (best - second) / best of the lexical file scores. */
  margin: number;
  /** Lexical best score per unit of the question's IDF mass. */
  strength: number;
  /** 1 when the lexical and semantic rankers agree on a top file, 0 when not, 0.5 without a semantic ranker. */
  agreement: number;
  /** Model-embedding similarity of the best hit (0 offline: USE and hashed cosines did not help). */
  similarity: number;
  /** Share of the question's IDF mass in terms the corpus never uses (Kafka, GPT-5...). */
  missing: number;
  /**
   * IDF share of the question's content terms (English words, Chinese dictionary words; not
   * the character bigrams, which straddle word boundaries) held by the best hit.
   */
  contentCoverage: number;
  /** The same over the content terms the corpus uses at all. */
  presentCoverage: number;
  /** Share of the content terms (by count) the corpus uses at all. */
  presentShare: number;
  /**
   * 1 when a named thing of the question is absent from the whole corpus: a capitalised word
   * inside an English sentence, a word with digits, a Latin word in a Chinese question
   * (Redis, PSP, GPT-5, SU7). A near miss usually names what the corpus lacks.
   */
  namedMissing: number;
  /**
   * Share of the question's focus (its two rarest content terms; a term the corpus lacks is the
   * rarest of all) found in any of the top hits: a near miss asks about the one thing that is
   * not there, while a reworded answerable question keeps at least its rarest word.
   */
  focusFound: number;
  /** 1 when the lexical and semantic rankers put the same file first, 0 when not, 0.5 without a semantic ranker. */
  topAgreement: number;
  /** 1 when the semantic (USE) ranker took part in this search (English chunks, words not enough). */
  semanticOn: number;
  /**
   * How far the best semantic file stands out from the others the semantic ranker listed for
   * this question, in standard deviations (0 without a semantic ranker): the USE similarity
   * placed in this corpus's own distribution rather than taken raw.
   */
  semanticLift: number;
  /** The best semantic file's score (USE cosine of its best chunk, plus a little of its second); 0 without a semantic ranker. */
  semanticTop: number;
  /**
   * Share of the question's named terms (see namedTerms) found in any of the top hits; 1 when it
   * names nothing. A near miss often names a year, version or product the hits do not hold.
   */
  namedFound: number;
  /**
   * Reading the passage (answer-type.ts). For a question that asks a quantity it names ("how
   * many partitions", "覆盖率是多少"): 1 when no sentence of the best hit holds the measured
   * thing, 0.5 when one holds it without a number (money, when money is asked for), 0 when one
   * holds both; 0 for other questions.
   */
  slotMiss: number;
}

/** What the signals are computed from (one search). */
export interface SignalInput {
  question: string;
  lexical: LexicalIndex;
  /** The question's own terms (weight 1) and the lexicon's synonyms of them. */
  own: readonly WeightedTerm[];
  synonyms: readonly WeightedTerm[];
  /** Lexical-index positions of the top hits' chunks, best first (undefined: not indexed). */
  hitDocs: readonly (number | undefined)[];
  /** Model-embedding similarity of each top hit, when a model embedder found it. */
  hitSimilarity: readonly (number | undefined)[];
  /** The lexical file ranking, best first. */
  lexicalFiles: readonly FileScore[];
  /** The semantic (USE) file ranking, when that ranker took part. */
  semanticFiles?: readonly FileScore[];
  /** A model embedder's cosine is meaningful; the local hashed one's is not. */
  modelEmbedder: boolean;
  /** The top hits' text (title and body), best first: what the passage signals read. */
  hitTexts: readonly string[];
}

const MODEL_SIMILARITY_OFFSET = 0.25;
/** BM25 saturates near (k1 + 1) x IDF per term: the best score per unit of IDF mass is below ~2.2. */
const STRENGTH_SCALE = 2.2;

export function signalsOf(x: SignalInput): AbstentionSignals {
  const { lexical, own, synonyms } = x;
  const top = x.hitDocs.slice(0, 3);
  const coverageBy = (terms: readonly WeightedTerm[], doc: number | undefined): number => (doc === undefined || terms.length === 0 ? 0 : lexical.coverage(terms, doc, synonyms));
  const coverage = Math.max(0, ...top.map((d) => coverageBy(own, d)));
  const idfs = own.map((t) => lexical.idf(t.term)).sort((a, b) => a - b);
  const median = idfs[Math.floor(idfs.length / 2)] ?? 0;
  const rare = own.filter((t) => lexical.idf(t.term) >= median);
  const rareCoverage = Math.max(0, ...top.map((d) => coverageBy(rare, d)));
  const s1 = x.lexicalFiles[0]?.score ?? 0;
  const s2 = x.lexicalFiles[1]?.score ?? 0;
  const margin = s1 > 0 ? Math.max(0, (s1 - s2) / s1) : 0;
  const idfMass = idfs.reduce((a, b) => a + b, 0);
  const strength = idfMass > 0 ? Math.min(1, s1 / (STRENGTH_SCALE * idfMass)) : 0;
  const lexTop = new Set(x.lexicalFiles.slice(0, 3).map((f) => f.file));
  const agreement = x.semanticFiles ? (x.semanticFiles.slice(0, 3).some((f) => lexTop.has(f.file)) ? 1 : 0) : 0.5;
  const similarity = x.modelEmbedder ? Math.max(0, ...x.hitSimilarity.slice(0, 3).map((s) => (s ?? 0) - MODEL_SIMILARITY_OFFSET)) : 0;
  const absent = own.filter((t) => lexical.df(t.term) === 0);
  const missing = idfMass > 0 ? absent.reduce((a, t) => a + lexical.idf(t.term), 0) / idfMass : 0;
  const content = own.filter((t) => !t.term.startsWith(CHAR_PREFIX) && !isCjkToken(t.term));
  const present = content.filter((t) => lexical.df(t.term) > 0);
  const named = namedTerms(x.question);
  return {
    coverage,
    rareCoverage,
    margin,
    strength,
    agreement,
    similarity,
    missing,
    contentCoverage: coverageBy(content, x.hitDocs[0]),
    presentCoverage: coverageBy(present, x.hitDocs[0]),
    presentShare: content.length > 0 ? present.length / content.length : 0,
    namedMissing: absent.some((t) => named.has(t.term)) ? 1 : 0,
    focusFound: focusFound(lexical, content, top),
    namedFound: namedFound(lexical, named, top),
    ...semanticSignals(x.lexicalFiles, x.semanticFiles),
    slotMiss: slotMiss(x.question, x.hitTexts),
  };
}

/** The quantity a question asks for is looked for in the best hit only (dev AUC 0.69 against 0.64 over two hits). */
const SLOT_HITS = 1;

/** See AbstentionSignals.slotMiss. */
export function slotMiss(question: string, hitTexts: readonly string[]): number {
  // A compound question misses only when every part asks a quantity the best hit lacks.
  const parts = questionParts(question);
  // A question with no parts ('?', '') asks no quantity.
  if (parts.length === 0) return 0;
  return Math.min(
    ...parts.map((part) => {
      const slot = slotOf(part);
      return slot ? 1 - slotEvidence(slot, hitTexts.slice(0, SLOT_HITS)) : 0;
    }),
  );
}

/** How many of the question's rarest content terms make its focus. */
const FOCUS_TERMS = 2;

/** See AbstentionSignals.focusFound. */
export function focusFound(lexical: LexicalIndex, content: readonly WeightedTerm[], docs: readonly (number | undefined)[]): number {
  const focus = [...new Map(content.map((t) => [t.term, t])).values()].sort((a, b) => lexical.idf(b.term) - lexical.idf(a.term)).slice(0, FOCUS_TERMS);
  if (focus.length === 0) return 0;
  const found = focus.filter((t) => docs.some((d) => d !== undefined && lexical.coverage([{ term: t.term, weight: 1 }], d) > 0));
  return found.length / focus.length;
}

/** See AbstentionSignals.namedFound. */
export function namedFound(lexical: LexicalIndex, named: ReadonlySet<string>, docs: readonly (number | undefined)[]): number {
  if (named.size === 0) return 1;
  let found = 0;
  for (const term of named) if (docs.some((d) => d !== undefined && lexical.coverage([{ term, weight: 1 }], d) > 0)) found++;
  return found / named.size;
}

/** A semantic lift is read from at least this many listed files. */
const LIFT_MIN_FILES = 3;
/** Lifts are divided by this so the feature sits near 0..1. */
const LIFT_SCALE = 4;

/** See AbstentionSignals.topAgreement, semanticOn and semanticLift. */
export function semanticSignals(
  lexicalFiles: readonly FileScore[],
  semanticFiles: readonly FileScore[] | undefined,
): { topAgreement: number; semanticOn: number; semanticLift: number; semanticTop: number } {
  if (!semanticFiles || semanticFiles.length === 0) return { topAgreement: 0.5, semanticOn: 0, semanticLift: 0, semanticTop: 0 };
  const topAgreement = lexicalFiles[0] !== undefined && lexicalFiles[0].file === semanticFiles[0].file ? 1 : 0;
  const semanticTop = semanticFiles[0].score;
  if (semanticFiles.length < LIFT_MIN_FILES) return { topAgreement, semanticOn: 1, semanticLift: 0, semanticTop };
  const scores = semanticFiles.map((f) => f.score);
  const rest = scores.slice(1);
  const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
  const sd = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length);
  const lift = sd > 0 ? (scores[0] - mean) / sd : 0;
  return { topAgreement, semanticOn: 1, semanticLift: Math.max(0, lift) / LIFT_SCALE, semanticTop };
}

const LATIN_WORD = /[A-Za-z0-9][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*/g;

/**
 * Months and weekdays are capitalised but name no thing the corpus could lack: a chat message is
 * dated by its day, so "What did you order for the August meetup?" finds a message that says
 * "next week", not "August".
 */
const CALENDAR_WORDS = /^(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)$/i;

/**
 * The index terms of the words that name something: in a Chinese question every Latin word; in
 * English ones a capitalised word that does not start a sentence, a word with digits, or one
 * with several capitals (GraphQL). A mention (@Tom) is not one, nor a month or weekday.
 */
export function namedTerms(question: string): Set<string> {
  const out = new Set<string>();
  const cjk = hasCjk(question);
  let first = true;
  for (const m of question.matchAll(LATIN_WORD)) {
    const w = m[0];
    const before = question.slice(0, m.index).trimEnd();
    const starts = first || /[.?!]$/.test(before);
    first = false;
    // "cc @Tom": a person the asker mentions is not what the question asks about.
    if (question[(m.index ?? 0) - 1] === '@') continue;
    if (CALENDAR_WORDS.test(w)) continue;
    const capitals = (w.match(/[A-Z]/g) ?? []).length;
    if (cjk || /\d/.test(w) || capitals > 1 || (capitals === 1 && /^[A-Z]/.test(w) && !starts)) for (const t of tokenize(w)) out.add(t);
  }
  return out;
}

/**
 * The model's inputs. coverage, rareCoverage and missing (the earlier model's) are left out:
 * beside the content-term signals they lowered the leave-one-set-out figures.
 */
export const FEATURES = [
  'contentCoverage',
  'presentCoverage',
  'presentShare',
  'namedMissing',
  'nearMiss',
  'margin',
  'strength',
  'agreement',
  'coverage',
  'rareCoverage',
  'missing',
  'focusFound',
  'topAgreement',
  'semanticOn',
  'semanticLift',
  'semanticTop',
  'namedFound',
  'slotMiss',
] as const;
export type FeatureName = (typeof FEATURES)[number];

export function featuresOf(s: AbstentionSignals): Record<FeatureName, number> {
  return {
    contentCoverage: s.contentCoverage,
    presentCoverage: s.presentCoverage,
    presentShare: s.presentShare,
    namedMissing: s.namedMissing,
    // A near miss: what the corpus knows of the question sits together in the best chunk, but
    // part of the question is unknown to the corpus (a linear model cannot draw this product).
    nearMiss: s.presentCoverage * (1 - s.presentShare),
    margin: s.margin,
    strength: s.strength,
    agreement: s.agreement,
    coverage: s.coverage,
    rareCoverage: s.rareCoverage,
    missing: s.missing,
    focusFound: s.focusFound,
    topAgreement: s.topAgreement,
    semanticOn: s.semanticOn,
    semanticLift: s.semanticLift,
    semanticTop: s.semanticTop,
    namedFound: s.namedFound,
    slotMiss: s.slotMiss,
  };
}

export interface AbstentionModel {
  bias: number;
  /** Per feature, on the raw (unstandardised) scale; a feature left out weighs 0. */
  weights: Partial<Record<FeatureName, number>>;
  /** Below: decline. */
  decline: number;
  /** At or above: answer plainly; between: answer, hedged. */
  high: number;
}

/**
 * A model embedder's similarity was never fitted (no dev run with a model): it keeps the say
 * the earlier hand-set model gave it.
 */
const SIMILARITY_WEIGHT = 2;

export const ABSTENTION: AbstentionModel = fitted;

/**
 * No term of the question (nor a synonym) in any top hit: there is nothing to answer from,
 * whatever the other signals say (the dev sets hold no such answerable question).
 */
export function noEvidence(s: AbstentionSignals): boolean {
  return s.coverage === 0;
}

/**
 * The best chunk holds (nearly) every content term of the question, and strongly, and the hits
 * hold everything it names: an answer, plainly, whatever the margin says. The fitted model
 * weighs only a few signals and would hedge such a question when two files cover it alike; on
 * the dev sets this holds for 6 of 298 answerable questions and none of the 144 near misses
 * or 144 off-topic probes.
 */
export function completeEvidence(s: AbstentionSignals): boolean {
  return s.contentCoverage >= COMPLETE_COVERAGE && s.strength >= COMPLETE_STRENGTH && s.namedFound === 1 && s.namedMissing === 0;
}

const COMPLETE_COVERAGE = 0.95;
const COMPLETE_STRENGTH = 0.9;

export function relevanceOf(s: AbstentionSignals, model: AbstentionModel = ABSTENTION): number {
  if (noEvidence(s)) return 0;
  const f = featuresOf(s);
  let z = model.bias + SIMILARITY_WEIGHT * s.similarity;
  for (const k of FEATURES) z += (model.weights[k] ?? 0) * f[k];
  const p = 1 / (1 + Math.exp(-z));
  return completeEvidence(s) ? Math.max(p, model.high) : p;
}

export function decide(relevance: number, model: AbstentionModel = ABSTENTION): { grounded: boolean; confidence: 'high' | 'low' } {
  return { grounded: relevance >= model.decline, confidence: relevance >= model.high ? 'high' : 'low' };
}
