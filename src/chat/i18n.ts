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

/**
 * An imported avatar (`consent_pending` in avatar.yaml) is paused until the person consents: said
 * plainly to someone who asks it (`ask`), or as the note on a meeting it stays out of (`meeting`).
 * `name` is the person's name as `lang` shows it.
 */
export function awaitingConsent(lang: Lang, name: string, where: 'ask' | 'meeting' = 'ask'): string {
  if (where === 'meeting') {
    return t(lang, `${name}'s avatar was imported and is waiting for ${name}'s consent, so it does not take part.`, `${name}的数字分身是导入的，正在等待${name}本人同意，因此不参加本次会议。`);
  }
  return t(lang, `The digital avatar of ${name} was imported and is waiting for ${name}'s consent; it answers no one until that consent is recorded.`, `${name}的数字分身是导入的，正在等待${name}本人同意；记录同意之前不会回答任何人。`);
}
