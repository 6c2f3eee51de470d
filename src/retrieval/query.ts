import { lexiconExpansions } from './lexicon';
import type { LexicalIndex, WeightedTerm } from './lexical-index';
import { CHAR_PREFIX, indexTokens } from './tokenize';

export interface QueryPlan {
  text: string;
  tokens: string[];
  /** The question's own terms (weight 1) and the expansions below. */
  terms: WeightedTerm[];
  /** Terms added from the lexicon and from corpus associations, for logs and evaluation. */
  expansions: WeightedTerm[];
  /** The lexicon's synonyms and translations alone: they count toward coverage. */
  synonyms: WeightedTerm[];
}

export interface ExpansionOptions {
  lexicon?: boolean;
  associations?: boolean;
}

const LEXICON_WEIGHT = 0.5;
/**
 * Single CJK characters: weak evidence, but the only lexical bridge for reworded Chinese
 * questions (ruanyf dev paraphrased R@5 8% -> 33% at 0.6; 0.5 kept, as 0.6+ cost the mixed
 * demo sets a question each).
 */
const CHAR_WEIGHT = 0.5;
/** Dev recall is the same for caps 1, 0.2, 0.1 and 0.05; 0.05 keeps Chinese queries fast at 100k chunks. */
const MAX_CHAR_DF_SHARE = 0.05;
const ASSOCIATION_WEIGHT = 0.3;
const MAX_EXPANSIONS = 16;

/**
 * Turn a question into weighted terms. People rarely use the author's words, so the plan adds
 * synonyms and translations from the lexicon, and words the author tends to use alongside the
 * question's rarer words (learned from the avatar's own corpus).
 */
export function planQuery(text: string, lexical: LexicalIndex | undefined, options: ExpansionOptions = {}): QueryPlan {
  const tokens = indexTokens(text);
  const own = [...new Set(tokens)];
  // A character found in most chunks says nothing and costs a long posting list: skip it.
  const maxCharDf = lexical ? Math.max(20, lexical.size * MAX_CHAR_DF_SHARE) : Infinity;
  const terms: WeightedTerm[] = own
    .filter((term) => !term.startsWith(CHAR_PREFIX) || !lexical || lexical.df(term) <= maxCharDf)
    .map((term) => ({ term, weight: term.startsWith(CHAR_PREFIX) ? CHAR_WEIGHT : 1 }));
  const expansions = new Map<string, number>();
  const synonyms: WeightedTerm[] = [];
  if (options.lexicon !== false) {
    for (const e of lexiconExpansions(text, own, LEXICON_WEIGHT)) {
      if (!lexical || lexical.df(e.term) > 0) {
        expansions.set(e.term, e.weight);
        synonyms.push(e);
      }
    }
  }
  if (options.associations !== false && lexical && lexical.size > 20) {
    const seeds = [...own, ...expansions.keys()]
      .filter((t) => {
        const df = lexical.df(t);
        return df >= 2 && df <= lexical.size * 0.05;
      })
      .sort((a, b) => lexical.df(a) - lexical.df(b))
      .slice(0, 4);
    for (const seed of seeds) {
      const assoc = lexical.associations(seed, 3);
      const top = assoc[0]?.weight ?? 1;
      for (const a of assoc) {
        if (own.includes(a.term)) continue;
        const w = ASSOCIATION_WEIGHT * (a.weight / top);
        expansions.set(a.term, Math.max(expansions.get(a.term) ?? 0, w));
      }
    }
  }
  const extra = [...expansions]
    .filter(([t]) => !own.includes(t))
    .map(([term, weight]) => ({ term, weight }))
    .sort((a, b) => b.weight - a.weight)
    .slice(0, MAX_EXPANSIONS);
  return { text, tokens, terms: [...terms, ...extra], expansions: extra, synonyms };
}
