export type UiLang = 'zh' | 'en';

/** The interface language: Chinese when the browser prefers Chinese, else English. */
export function browserLang(): UiLang {
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    const code = l.toLowerCase();
    if (code.startsWith('zh')) return 'zh';
    if (code.startsWith('en')) return 'en';
  }
  return 'en';
}
