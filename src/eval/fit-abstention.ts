import { FEATURES, featuresOf, noEvidence, relevanceOf, type AbstentionModel, type AbstentionSignals, type FeatureName } from '../retrieval/abstention';
import type { AvatarIndex } from '../retrieval/avatar-index';
import type { QaItem } from './qa';

/** One dev question as abstention sees it. */
export interface SignalRow {
  set: string;
  answerable: boolean;
  paraphrase: boolean;
  /**
   * An off-topic probe (eval/qa/off-topic.jsonl: weather, recipes, sport), asked of every dev
   * avatar. The dev sets' unanswerable questions are all near misses; without probes the fit
   * learns that a question the corpus knows nothing of is a reworded answerable one.
   */
  probe?: boolean;
  signals: AbstentionSignals;
}

export interface FitOptions {
  /** L2 penalty on the standardised weights (the dev sets hold only ~60 unanswerable questions). */
  l2: number;
  /** The decline point keeps false abstention at or below this on every training set. */
  falseAbstention: number;
  /** The plain-answer point: at most this share of the training sets' unanswerable questions reach it. */
  plainUnanswerable: number;
  /** The features the model weighs (the others weigh 0); default MODEL_FEATURES. */
  features?: readonly FeatureName[];
}

/**
 * The features the shipped model weighs, chosen by leave-one-set-out on the dev sets (see
 * bench/fit-abstention.ts --features). FEATURES lists every feature the model could weigh.
 */
export const MODEL_FEATURES: readonly FeatureName[] = ['namedMissing', 'margin', 'namedFound', 'slotMiss'];

/**
 * falseAbstention 0.11 (was 0.14): with slotMiss, every set's leave-one-set-out false abstention
 * stays under the 15% (allen-p 14.3%; 0.12 let it reach 16.1%, 0.14 19.6%) for little
 * declined (mean 41.3% against 42.0% at 0.12).
 */
export const FIT_DEFAULTS: FitOptions = { l2: 10, falseAbstention: 0.11, plainUnanswerable: 0.1 };

/** The signals of each question of a QA set, searched the way `npm run eval` searches. */
export async function signalRows(set: string, index: AvatarIndex, items: QaItem[], probe = false): Promise<SignalRow[]> {
  const rows: SignalRow[] = [];
  for (const item of items) {
    const res = await index.search(item.question, { k: 5, mode: 'hybrid', lexicon: true, associations: true });
    // An empty search (no terms, empty index) has no signals: it always declines.
    if (res.signals) rows.push({ set, answerable: item.answerable, paraphrase: Boolean(item.paraphrase), ...(probe ? { probe } : {}), signals: res.signals });
  }
  return rows;
}

/** The probes of a set weigh half as much as its near misses. */
const PROBE_WEIGHT = 0.5;

/**
 * Logistic regression by gradient descent on standardised features, each set and class weighing
 * the same (a set with many answerable questions must not decide alone). Questions that no
 * signal can rate (nothing of them in any hit) are declined by rule and left out. Returns weights on the
 * raw scale, so the model needs no means or deviations at run time.
 */
export function fitLogistic(
  rows: readonly SignalRow[],
  l2: number,
  iterations = 4000,
  rate = 0.5,
  features: readonly FeatureName[] = MODEL_FEATURES,
): { bias: number; weights: Partial<Record<FeatureName, number>> } {
  const fit = rows.filter((r) => !noEvidence(r.signals));
  const X = fit.map((r) => {
    const f = featuresOf(r.signals);
    return features.map((k) => f[k]);
  });
  const y = fit.map((r) => (r.answerable ? 1 : 0));
  const p = features.length;
  const mean = features.map((_, j) => X.reduce((a, x) => a + x[j], 0) / X.length);
  const sd = features.map((_, j) => Math.sqrt(X.reduce((a, x) => a + (x[j] - mean[j]) ** 2, 0) / X.length) || 1);
  const Z = X.map((x) => x.map((v, j) => (v - mean[j]) / sd[j]));
  const group = (r: SignalRow): string => `${r.set}:${r.probe ? 'probe' : r.answerable}`;
  const count = new Map<string, number>();
  fit.forEach((r) => count.set(group(r), (count.get(group(r)) ?? 0) + 1));
  const w = fit.map((r) => (r.probe ? PROBE_WEIGHT : 1) / (count.get(group(r)) ?? 1));
  const wSum = w.reduce((a, b) => a + b, 0);
  const beta = new Array<number>(p).fill(0);
  let b0 = 0;
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(p).fill(0);
    let g0 = 0;
    Z.forEach((z, i) => {
      const pr = 1 / (1 + Math.exp(-(b0 + z.reduce((a, v, j) => a + v * beta[j], 0))));
      const e = ((pr - y[i]) * w[i]) / wSum;
      g0 += e;
      for (let j = 0; j < p; j++) grad[j] += e * z[j];
    });
    for (let j = 0; j < p; j++) beta[j] -= rate * (grad[j] + (l2 * beta[j]) / fit.length);
    b0 -= rate * g0;
  }
  const weights: Partial<Record<FeatureName, number>> = {};
  let bias = b0;
  features.forEach((k, j) => {
    weights[k] = beta[j] / sd[j];
    bias -= (beta[j] * mean[j]) / sd[j];
  });
  return { bias, weights };
}

const share = (n: number, d: number): number => (d === 0 ? 0 : n / d);
const setsOf = (rows: readonly SignalRow[]): string[] => [...new Set(rows.map((r) => r.set))];

/**
 * The decline point: the highest relevance that keeps false abstention at or below the limit on
 * every set given, so that as many unanswerable questions as possible are declined. The
 * plain-answer point sits where only a small share of the unanswerable questions still reach it.
 */
export function thresholds(rows: readonly SignalRow[], relevance: (s: AbstentionSignals) => number, o: FitOptions): { decline: number; high: number } {
  const scored = rows.map((r) => ({ r, v: relevance(r.signals) }));
  const sets = setsOf(rows);
  let decline = 0;
  for (const { v } of [...scored].sort((a, b) => a.v - b.v)) {
    const ok = sets.every((s) => {
      const ans = scored.filter((x) => x.r.set === s && x.r.answerable);
      return share(ans.filter((x) => x.v < v).length, ans.length) <= o.falseAbstention;
    });
    if (!ok) break;
    decline = v;
  }
  const un = scored.filter((x) => !x.r.answerable && !x.r.probe).map((x) => x.v).sort((a, b) => b - a);
  const high = Math.max(decline, un[Math.floor(un.length * o.plainUnanswerable)] ?? decline);
  // Rounded down: rounding up could lift the point above tied scores it was meant to answer.
  return { decline: floor(decline), high: round(high) };
}

const round = (x: number, digits = 4): number => Number(x.toFixed(digits));
const floor = (x: number, digits = 4): number => Math.floor(x * 10 ** digits) / 10 ** digits;

/** Fit on every row: the model that ships. */
export function fitModel(rows: readonly SignalRow[], o: FitOptions = FIT_DEFAULTS): AbstentionModel {
  const features = o.features ?? MODEL_FEATURES;
  const { bias, weights } = fitLogistic(rows, o.l2, undefined, undefined, features);
  const rounded = Object.fromEntries(features.map((k) => [k, round(weights[k] ?? 0)])) as Partial<Record<FeatureName, number>>;
  const model = { bias: round(bias), weights: rounded, decline: 0, high: 1 };
  return { ...model, ...thresholds(rows, (s) => relevanceOf(s, model), o) };
}

export interface SetFigures {
  set: string;
  answerable: number;
  unanswerable: number;
  /** Share of answerable questions declined. */
  falseAbstention: number;
  /** Share of unanswerable questions (near misses) declined. */
  declined: number;
  /** Share of off-topic probes declined. */
  probesDeclined: number;
  /** Share of answered questions that were hedged (confidence low). */
  hedged: number;
  /** Share of answerable paraphrased questions declined. */
  paraphraseDeclined: number;
}

/** What a model does on some rows: per set, false abstention, declined and hedged. */
export function figures(rows: readonly SignalRow[], model: AbstentionModel): SetFigures[] {
  return setsOf(rows).map((set) => {
    const mine = rows.filter((r) => r.set === set).map((r) => ({ r, v: relevanceOf(r.signals, model) }));
    const ans = mine.filter((x) => x.r.answerable);
    const un = mine.filter((x) => !x.r.answerable && !x.r.probe);
    const probes = mine.filter((x) => x.r.probe);
    const para = ans.filter((x) => x.r.paraphrase);
    const answered = mine.filter((x) => x.v >= model.decline);
    return {
      set,
      answerable: ans.length,
      unanswerable: un.length,
      falseAbstention: share(ans.filter((x) => x.v < model.decline).length, ans.length),
      declined: share(un.filter((x) => x.v < model.decline).length, un.length),
      probesDeclined: share(probes.filter((x) => x.v < model.decline).length, probes.length),
      hedged: share(answered.filter((x) => x.v < model.high).length, answered.length),
      paraphraseDeclined: share(para.filter((x) => x.v < model.decline).length, para.length),
    };
  });
}

/**
 * Leave-one-set-out: each set is scored by a model (weights and both points) fitted on the
 * other sets only, so the figures say how the fit carries to a corpus it never saw.
 */
export function crossValidate(rows: readonly SignalRow[], o: FitOptions = FIT_DEFAULTS): SetFigures[] {
  return setsOf(rows).flatMap((held) => figures(rows.filter((r) => r.set === held), fitModel(rows.filter((r) => r.set !== held), o)));
}

export function formatFigures(title: string, figs: readonly SetFigures[]): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  const lines = [title, `  ${'set'.padEnd(14)} answerable unanswerable false-abst declined  hedged  para-declined  off-topic-declined`];
  for (const f of figs) lines.push(`  ${f.set.padEnd(14)} ${String(f.answerable).padStart(10)} ${String(f.unanswerable).padStart(12)} ${pct(f.falseAbstention)}  ${pct(f.declined)} ${pct(f.hedged)}  ${pct(f.paraphraseDeclined)}  ${pct(f.probesDeclined)}`);
  const mean = (k: keyof SetFigures): number => figs.reduce((a, f) => a + (f[k] as number), 0) / Math.max(1, figs.length);
  lines.push(`  ${'mean'.padEnd(14)} ${''.padStart(10)} ${''.padStart(12)} ${pct(mean('falseAbstention'))}  ${pct(mean('declined'))} ${pct(mean('hedged'))}  ${pct(mean('paraphraseDeclined'))}  ${pct(mean('probesDeclined'))}`);
  return lines.join('\n');
}
