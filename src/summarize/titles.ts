import type { Lang } from '../text/lang';
import { tokenize } from '../retrieval/tokenize';
import { scrubUrls } from './links';

const MAX_WORDS = 4;
/** Words that say nothing alone as a title ("Started", "Last", "Link"); fine inside a phrase. */
/** Words a title never starts or ends with. */
const EDGE = new Set('am pm im is are was were be been really very just also so too then than and or but not no yes my your our their his her its this that these those there here what which who how why when i you we they he she it me us them'.split(' '));
const GENERIC = new Set('started start starting last first next morning link links specific result results joined uploaded file files update updates question questions issue issues example examples problem help'.split(' '));

/**
 * A topic's title as a short phrase people actually wrote ("mailing list", "R build on
 * Windows"), not a list of its top words ("uh · sorta · following"). Candidates are runs of up
 * to four words inside one clause, starting and ending on a content word; each scores by the
 * topic weight of its words and by how many of the topic's messages use it.
 *
 * @param weight the topic weight of a stemmed term, 0 for filler, names and unknown terms
 */
export function phraseTitle(texts: string[], weight: (stem: string) => number, lang: Lang): string | undefined {
  if (lang === 'zh') return undefined;
  const stemOf = new Map<string, string | undefined>();
  const termWeight = (word: string): number => {
    const w = word.toLowerCase();
    if (!stemOf.has(w)) stemOf.set(w, tokenize(w)[0]);
    const s = stemOf.get(w);
    return s ? weight(s) : 0;
  };
  const seen = new Map<string, { score: number; docs: Set<number>; forms: Map<string, number>; n: number }>();
  texts.forEach((text, doc) => {
    const clean = scrubUrls(text).replace(/‹[^›]*›/g, ' ').replace(/<[^>]*>/g, ' ').replace(/[`*_~]/g, ' ').replace(/@\S+/g, ' , ');
    for (const clause of clean.split(/[.,;:!?()[\]{}"“”'‘’\n|/\\]+|\s-\s/)) {
      const words = clause.split(/\s+/).filter((w) => /^[A-Za-z][A-Za-z0-9+#-]*$/.test(w) && w.length <= 30);
      for (let i = 0; i < words.length; i++) {
        let sum = 0;
        for (let n = 1; n <= MAX_WORDS && i + n <= words.length; n++) {
          const w = termWeight(words[i + n - 1]);
          sum += w;
          // A phrase starts and ends on a topic word; the words between may be small ("build on windows").
          if (termWeight(words[i]) <= 0 || w <= 0 || EDGE.has(words[i].toLowerCase()) || EDGE.has(words[i + n - 1].toLowerCase())) continue;
          const form = words.slice(i, i + n).join(' ');
          const key = form.toLowerCase();
          const e = seen.get(key) ?? { score: sum, docs: new Set<number>(), forms: new Map<string, number>(), n };
          e.docs.add(doc);
          e.forms.set(form, (e.forms.get(form) ?? 0) + 1);
          seen.set(key, e);
        }
      }
    }
  });
  let best: { form: string; score: number } | undefined;
  for (const e of seen.values()) {
    // A phrase one message uses counts, but less than one several use.
    const once = e.docs.size < 2 && texts.length > 1 ? 0.5 : 1;
    // Longer phrases say more, but only while each word pulls its weight.
    const generic = e.n === 1 && GENERIC.has([...e.forms.keys()][0].toLowerCase());
    const score = (e.score / Math.sqrt(e.n)) * Math.log2(1 + e.docs.size) * once * (e.n === 1 ? (generic ? 0.2 : 0.7) : 1);
    if (!best || score > best.score) {
      const form = [...e.forms].sort((a, b) => b[1] - a[1])[0][0];
      best = { form, score };
    }
  }
  if (!best) return undefined;
  const f = best.form;
  // Keep acronyms and names as written; lift a lower-case first letter.
  return f[0] === f[0].toLowerCase() ? f[0].toUpperCase() + f.slice(1) : f;
}
