import { HAN, isCjkToken } from '../text/cjk';
import { CHAR_PREFIX, indexTokens, WORD_PREFIX } from './tokenize';

/**
 * Reading the passage for the answer a quantity question asks for. A near miss uses the
 * corpus's words but asks something the documents do not say ("How much memory does the
 * redis-payments cluster have?" finds the design note on redis-payments, which gives its TTL,
 * not its memory); an answerable one has the thing it measures and a number in one sentence of
 * its best hit. On the dev sets (leave-one-set-out) this lifted the abstention model; matching a
 * broader answer type (a date for "when", a name for "who") and term proximity did not: these
 * corpora hold dates, names and numbers in nearly every passage.
 */

/** Quantities an English "what/which ... <noun>" question asks for. */
const QUANTITY_NOUNS =
  'rate|rates|percentage|percent|share|ratio|budget|cost|costs|price|prices|fee|fees|allowance|salary|amount|number|count|size|capacity|limit|threshold|timeout|funding|revenue|margin|coverage|score|total|target|quota|volume|bonus|discount|premium|spread';

/**
 * Sentences (and code or list lines) of a passage: ends at . ! ? followed by a space, at
 * Chinese 。！？；, and at every line break.
 */
export function sentencesOf(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+|(?<=[。！？；])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * What a quantity question measures: the words it asks a number of ("how many Kafka
 * partitions", "what heat rate", "覆盖率是多少") and whether it asks for money ("how much did
 * he pay", "多少钱", "what budget").
 */
export interface Slot {
  /** Index terms of the measured thing; empty when only money is asked for. */
  terms: string[];
  money: boolean;
}

const QUANTITY = new RegExp(`^(?:${QUANTITY_NOUNS})$`);
/** Words that end the measured phrase after "how many/much" (the question's verb, articles). */
const PHRASE_END = /^(?:did|does|do|is|was|were|are|will|would|should|could|can|has|have|had|the|a|an|of|in|on|at|for|to|per|and|or|(?![a-z]*eed$)[a-z]{2,}ed)$/i;
const MONEY_NOUNS = /^(?:budget|cost|costs|price|prices|fee|fees|allowance|salary|funding|revenue|bonus|discount|premium)$/i;
/** Chinese adverbs and fillers that stand between the measured thing and 多少. */
const ZH_FILLERS = new Set(['一共', '分别', '大概', '具体', '总共', '最后', '要求', '大约', '目前', '现在', '平均', '大致', '到底', '究竟', '最高', '最多', '最低', '最少', '一次', '一年']);

/**
 * The parts of a compound question ("..., and why ...?", "排第几？成本是多少？"): a part that asks
 * no quantity may be what the best hit answers, so a compound question misses only when every
 * part asks a quantity the best hit lacks.
 */
export function questionParts(question: string): string[] {
  return question
    .split(/[?？]|[,，;；]\s*(?:and|or|but)?\s*(?=(?:and\s+)?(?:what|which|who|when|where|why|how|did|does|do|is|are|was|were|can)\b)|[,，]\s*(?:and|or|but)\s+/i)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

const ZH_ASK = /多少|(?<![哪第])几(?!乎)/;
const ZH_WORD_CHAR = new RegExp(`[${HAN}A-Za-z0-9-]`);
const ZH_COPULA = new Set([...'是有为要能了到']);

/**
 * The run of words around the first 多少/几 of a question: what stands before it (past 是, 有, …)
 * and after it. Found by scanning, not by one regex: `([…]*?)[是有…]*多少` backtracks in cubic time
 * on a message of 是 (4,000 of them held the event loop 20 s).
 */
function zhQuantity(question: string): { before: string; after: string } | undefined {
  const ask = ZH_ASK.exec(question);
  if (!ask) return undefined;
  let start = ask.index;
  while (start > 0 && ZH_WORD_CHAR.test(question[start - 1])) start--;
  let end = ask.index;
  while (end > start && ZH_COPULA.has(question[end - 1])) end--;
  let after = ask.index + ask[0].length;
  while (after < question.length && ZH_WORD_CHAR.test(question[after])) after++;
  return { before: question.slice(start, end), after: question.slice(ask.index + ask[0].length, after) };
}

/** See Slot; undefined when the question asks for no quantity it names. */
export function slotOf(question: string): Slot | undefined {
  const how = /\bhow\s+(?:many|much)\s+([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2})/i.exec(question);
  if (how) {
    const words: string[] = [];
    for (const w of how[1].split(/\s+/)) {
      if (PHRASE_END.test(w)) break;
      words.push(w);
    }
    return words.length > 0 ? { terms: words.flatMap((w) => indexTokens(w)), money: /^money$/i.test(words[0]) } : { terms: [], money: true };
  }
  const what = new RegExp(`\\b(?:what|which)\\b(?:\\s+[\\w'-]+){0,6}?\\s+(${QUANTITY_NOUNS})\\b((?:\\s+and\\s+(?:\\w+\\s+)?(?:${QUANTITY_NOUNS})\\b)*)`, 'i').exec(question);
  // "What asking price and cap rate": either quantity will do.
  if (what) {
    const terms = indexTokens(`${what[1]} ${what[2]}`).filter((t) => QUANTITY.test(t));
    return { terms, money: terms.every((t) => MONEY_NOUNS.test(t)) };
  }
  if (/多少钱|花多少|融资了?多少/.test(question)) return { terms: [], money: true };
  // 是多少 / 有多少人: the measured thing stands before 多少 (覆盖率是多少) or after it (多少客服工单).
  // 哪几 (which ones), 第几 (which place) and 几乎 (almost) ask for no quantity.
  const zh = zhQuantity(question);
  if (zh) {
    const wordsOf = (text: string): string[] => indexTokens(text).filter((t) => !t.startsWith(CHAR_PREFIX) && !isCjkToken(t) && !ZH_FILLERS.has(t.slice(WORD_PREFIX.length)));
    const before = wordsOf(zh.before).slice(-1);
    const terms = [...before, ...wordsOf(zh.after)];
    if (terms.length > 0) return { terms, money: false };
  }
  return undefined;
}

const NUMBER_WORDS = 'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|twice|double|triple';
const NUMBER = new RegExp(`\\d|\\b(?:${NUMBER_WORDS})\\b|[一二三四五六七八九十百千万亿两]|%|％`, 'i');
const MONEY = /[$¥€£]\s?\d|\d\s*(?:k|m|mm|million|billion|dollars?|usd|rmb|cents?)\b|\d\s*(?:元|块|万|亿|美元|美金)/i;

/**
 * How well the passages hold the quantity a question asks for: 1 when a sentence holds the
 * measured thing and a number (money, when money is asked for), 0.5 when a sentence holds the
 * measured thing without one, 0 when none holds it.
 */
export function slotEvidence(slot: Slot, passages: readonly string[]): number {
  let best = 0;
  for (const p of passages) {
    for (const sentence of sentencesOf(p)) {
      if (slot.terms.length > 0) {
        const held = new Set(indexTokens(sentence));
        // "What does PLUS membership cost?": the passage says what members pay, not what it costs.
        const paid = slot.money && MONEY_SIZE.test(sentence);
        if (!paid && !slot.terms.some((t) => held.has(t))) continue;
      }
      if (slot.money ? MONEY.test(sentence) : NUMBER.test(sentence)) return 1;
      best = 0.5;
    }
  }
  return best;
}

/** A measure asked without naming its unit: "how long before…", "how big was the difference…". */
const HOW_MEASURE = /\bhow\s+(big|large|long|far|old|often|high|low|small|fast|soon)\b/i;
const ZH_MEASURE = /多久|多长时间|多大|多远|多高|多快|多重/;
/** A size asked of money ("how big was the difference in payout"). */
const MONEY_SIZE = /\b(?:pay|paid|payouts?|payments?|costs?|prices?|spen[dt]|worth|salary|fees?|budget|money|loss|profits?|fines?)\b/i;

/**
 * The quantities the parts of a question ask for, for picking the sentence that answers it:
 * slotOf's, and those it leaves out because the question names no measured word ("how long…",
 * "多久", "重试几次"), where any number will do (money, when the size asked is money's).
 * Not for abstention: most passages hold some number, so these say nothing of a near miss.
 */
export function quantitiesAsked(question: string): Slot[] {
  return questionParts(question).flatMap((part): Slot[] => {
    const slot = slotOf(part);
    if (slot) return [slot];
    const how = HOW_MEASURE.exec(part);
    if (how) return [{ terms: [], money: /^(?:big|large|high|low|small)$/i.test(how[1]) && MONEY_SIZE.test(part) }];
    return ZH_MEASURE.test(part) || ZH_ASK.test(part) ? [{ terms: [], money: false }] : [];
  });
}
