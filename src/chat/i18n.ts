import type { Lang } from '../avatars/disclosure';

/** Pick the sentence for the user's language. */
export function t(lang: Lang, en: string, zh: string): string {
  return lang === 'zh' ? zh : en;
}
