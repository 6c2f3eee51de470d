import { countCjk } from './cjk';

/** The languages avatars answer, label and notify in. */
export type Lang = 'zh' | 'en';

/** How a text mixes scripts: its Lang when one dominates, `mixed`, or `other` (too few letters). */
export type ScriptMix = Lang | 'mixed' | 'other';

const LATIN_WORD = /[A-Za-z]+/g;
const LATIN_WORD_APOS = /[A-Za-z][A-Za-z'’-]*/g;

/**
 * The language of a text: Chinese when Han characters make up a real share of it (at least half
 * as many as Latin words), English otherwise; `fallback` when it has no letters at all.
 */
export function detectLang(text: string, fallback: Lang = 'en'): Lang {
  const cjk = countCjk(text);
  const latin = (text.match(LATIN_WORD) ?? []).length;
  if (cjk === 0 && latin === 0) return fallback;
  return cjk >= latin * 0.5 ? 'zh' : 'en';
}

/**
 * The language to tell a person something about their message in (notices, prompts, errors): their
 * client's locale when it is Chinese, else the message's language, English when it has no letters.
 * An answer follows the question alone, falling back to the avatar's language (answer/answer.ts):
 * someone with a Chinese client who asks in English gets English sources in English.
 */
export function personLang(text: string, locale?: string): Lang {
  return locale?.startsWith('zh') ? 'zh' : detectLang(text, 'en');
}

/**
 * Script mix by letters (a Latin letter counts half a Han character): `zh` above 70% Han,
 * `en` below 15%, `mixed` between. For describing a corpus, not for choosing a reply language.
 */
export function scriptMix(text: string): ScriptMix {
  const cjk = countCjk(text);
  const latin = (text.match(LATIN_WORD_APOS) ?? []).join('').length;
  const total = cjk + latin / 2;
  if (total < 2) return 'other';
  const share = cjk / total;
  if (share > 0.7) return 'zh';
  if (share < 0.15) return 'en';
  return 'mixed';
}
