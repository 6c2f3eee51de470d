import { t } from '../chat/i18n';
import { normalize } from '../retrieval/tokenize';
import type { Lang } from '../text/lang';
import { cjkWords, claimsOf, keyTerms, pointCitation, questionWords, surfaceWords, type Claim } from './claims';
import { isCjkToken } from '../text/cjk';
import type { MeetingAnswer, PointCitation, Synthesis, SynthesisPoint } from './types';

const MAX_AGREE = 4;
const MAX_DIFFER_EACH = 2;
const MAX_GAPS = 5;
const SNIPPET = 180;

function snippet(text: string): string {
  const chars = [...text];
  return chars.length <= SNIPPET ? text : `${chars.slice(0, SNIPPET - 1).join('').trimEnd()}…`;
}

function cites(claim: Claim, byAvatar: Map<string, MeetingAnswer>): PointCitation[] {
  const a = byAvatar.get(claim.avatar) as MeetingAnswer;
  return claim.cites.map((n) => pointCitation(a, n)).filter((c): c is PointCitation => c !== undefined);
}

function quote(claim: Claim, lang: Lang): string {
  return lang === 'zh' ? `${claim.name}：“${snippet(claim.text)}”` : `${claim.name}: “${snippet(claim.text)}”`;
}

function list(names: string[], lang: Lang): string {
  if (lang === 'zh') return names.join('、');
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The shared terms as a reader knows them: English words as written, Chinese dictionary words rather than bigrams. */
function sharedWords(m: Match, asked: Set<string>): string[] {
  const surface = surfaceWords(m.claims.map((c) => c.text).join('\n'));
  const latin = m.shared.filter((w) => !asked.has(w) && !isCjkToken(w)).map((w) => surface.get(w) ?? w);
  const [first, ...rest] = m.claims.map((c) => cjkWords(c.text));
  const cjk = first ? [...first].filter((w) => rest.every((r) => r.has(w)) && !asked.has(w)) : [];
  const words = [...cjk, ...latin];
  // Bigrams only when no whole word is shared.
  return (words.length > 0 ? words : m.shared.filter((w) => !asked.has(w))).slice(0, 4);
}

/** "billing-gateway" beside "billing" and "gateway" is one thing in common, not three. */
function concepts(terms: string[]): string[] {
  const set = new Set(terms);
  return terms.filter((w) => !/[-.]/.test(w) || !w.split(/[-.]/).some((part) => set.has(part)));
}

interface Match {
  claims: Claim[];
  shared: string[];
  score: number;
}

/**
 * Agreement: sentences of different avatars that share key terms beyond the question's own words
 * (two answers restating the question agree on nothing), best overlap first, each sentence used
 * once. A third avatar joins a point when one of its sentences shares the same terms.
 */
function agreements(claims: Claim[], asked: Set<string>): Match[] {
  const pairs: Match[] = [];
  for (let i = 0; i < claims.length; i++) {
    for (let j = i + 1; j < claims.length; j++) {
      const a = claims[i];
      const b = claims[j];
      if (a.avatar === b.avatar) continue;
      const shared = [...a.terms].filter((w) => b.terms.has(w));
      const beyond = concepts(shared.filter((w) => !asked.has(w)));
      const score = shared.length / Math.min(a.terms.size, b.terms.size);
      // Two new terms in common, or one beside the question's own words in sentences that largely overlap.
      if (!(beyond.length >= 2 && score >= 0.2) && !(beyond.length === 1 && shared.length >= 3 && score >= 0.4)) continue;
      pairs.push({ claims: [a, b], shared, score: score + beyond.length / 20 });
    }
  }
  pairs.sort((x, y) => y.score - x.score);
  const used = new Set<Claim>();
  const out: Match[] = [];
  for (const p of pairs) {
    if (out.length >= MAX_AGREE) break;
    if (p.claims.some((c) => used.has(c))) continue;
    // The same agreement found twice through other sentences is one point.
    if (out.some((o) => p.shared.filter((w) => o.shared.includes(w)).length >= 0.6 * p.shared.length)) continue;
    const avatars = new Set(p.claims.map((c) => c.avatar));
    for (const c of claims) {
      if (avatars.has(c.avatar) || used.has(c)) continue;
      if (p.shared.filter((w) => c.terms.has(w) && !asked.has(w)).length >= 2) {
        p.claims.push(c);
        avatars.add(c.avatar);
      }
    }
    for (const c of p.claims) used.add(c);
    out.push(p);
  }
  return out;
}

/**
 * The synthesis without a language model, and saying so: agreement is shared key terms, a
 * difference is a point only one avatar makes (not necessarily a contradiction), and a gap is a
 * word of the question that no answer contains. Every agree and differ point cites its sentences' sources.
 */
export function extractiveSynthesis(question: string, answers: MeetingAnswer[], lang: Lang, reason?: string): Synthesis {
  const byAvatar = new Map(answers.map((a) => [a.avatar, a]));
  const grounded = answers.filter((a) => a.answer.grounded && a.answer.citations.length > 0);
  const claims = grounded.flatMap(claimsOf);
  const asked = keyTerms(question);
  const agree: SynthesisPoint[] = [];
  const differ: SynthesisPoint[] = [];
  const gaps: SynthesisPoint[] = [];

  const matches = grounded.length >= 2 ? agreements(claims, asked) : [];
  for (const m of matches) {
    const words = sharedWords(m, asked);
    const names = list([...new Set(m.claims.map((c) => c.name))], lang);
    const lead = t(lang, `${names} both speak of ${words.join(', ')}.`, `${names}都谈到了${words.join('、')}。`);
    agree.push({ text: `${lead}${lang === 'zh' ? '' : ' '}${m.claims.map((c) => quote(c, lang)).join(lang === 'zh' ? '' : ' ')}`, citations: m.claims.flatMap((c) => cites(c, byAvatar)) });
  }

  const used = new Set(matches.flatMap((m) => m.claims));
  for (const a of grounded) {
    const others = new Set(claims.filter((c) => c.avatar !== a.avatar).flatMap((c) => [...c.terms]));
    const own = claims
      .filter((c) => c.avatar === a.avatar && !used.has(c))
      .map((c) => ({ c, distinct: [...c.terms].filter((w) => !others.has(w)), relevance: [...c.terms].filter((w) => asked.has(w) && !/^\d+$/.test(w)).length }))
      .filter((x) => x.distinct.length >= 2 && (x.relevance > 0 || grounded.length === 1 || x.distinct.length >= 4))
      .sort((x, y) => y.relevance - x.relevance || y.distinct.length - x.distinct.length)
      .slice(0, MAX_DIFFER_EACH);
    for (const { c } of own) {
      const text = grounded.length === 1 ? t(lang, `Only ${a.name} has material on this. ${quote(c, lang)}`, `只有${a.name}有这方面的资料。${quote(c, lang)}`) : t(lang, `Only ${quote(c, lang)}`, `只有${quote(c, lang)}`);
      differ.push({ text, citations: cites(c, byAvatar) });
    }
  }

  for (const a of answers) {
    if (!grounded.includes(a)) gaps.push({ text: t(lang, `${a.name}'s material has nothing on this question.`, `${a.name}的资料里没有关于这个问题的内容。`), citations: [] });
  }
  if (grounded.length > 0) {
    const said = grounded.map((a) => [a.answer.text, ...a.answer.citations.map((c) => c.text)].join('\n')).join('\n');
    const saidTerms = keyTerms(said);
    const saidText = normalize(said);
    const missing = questionWords(question).filter((w) => (w.cjk ? !saidText.includes(w.term) : !saidTerms.has(w.term)));
    if (missing.length > 0) {
      const words = missing.slice(0, MAX_GAPS).map((w) => `“${w.word}”`);
      gaps.push({ text: t(lang, `No answer mentions ${list(words, lang)} from the question.`, `问题中的${list(words, lang)}没有任何回答提到。`), citations: [] });
    }
  }

  const how = t(
    lang,
    'Extractive moderator (no language model): "agree" means the answers share key terms, "differ" means a point only one avatar makes (not necessarily a contradiction), and gaps are words of the question no answer contains. Read the answers above for the substance.',
    '抽取式主持（未使用语言模型）：“一致”指回答之间有共同的关键词，“分歧”指只有一个分身提到的内容（不一定相互矛盾），“空白”指问题中没有任何回答提到的词。具体内容请看上面的回答。',
  );
  const none = grounded.length === 0 ? t(lang, ' None of them had material on this, so there was nothing to compare.', '它们都没有这方面的资料，所以没有可比较的内容。') : '';
  return { method: 'extractive', note: `${reason ? `${reason} ` : ''}${how}${none}`, agree, differ, gaps };
}
