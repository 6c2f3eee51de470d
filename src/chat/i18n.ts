import type { Lang } from '../text/lang';

/** Pick the sentence for the user's language. */
export function t(lang: Lang, en: string, zh: string): string {
  return lang === 'zh' ? zh : en;
}

export type Pronoun = 'he' | 'she' | 'they';

/** The subject pronoun: he / 他, she / 她, they / TA (the neutral written form in Chinese). */
export function pronounOf(lang: Lang, pronoun: Pronoun | undefined): string {
  if (lang === 'zh') return pronoun === 'he' ? '他' : pronoun === 'she' ? '她' : 'TA';
  return pronoun ?? 'they';
}

/** The label of the "not how they'd say it" button, with the avatar's own pronoun. */
export function voiceLabel(lang: Lang, pronoun: Pronoun | undefined, long = false): string {
  const p = pronounOf(lang, pronoun);
  return lang === 'zh' ? `不像${p}会说的话` : `${long ? "That's not" : 'Not'} how ${p}'d say it`;
}
