import { pinyin } from 'pinyin-pro';

/** What avatar.yaml accepts for a slug (schema.ts). */
export const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX = 40;

// Two-character surnames, so 欧阳娜娜 reads ouyang-nana rather than ou-yangnana.
const COMPOUND_SURNAMES = new Set(
  '欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 南宫 西门 百里 呼延 澹台 万俟 闻人 申屠 太史 公冶 赫连 钟离 濮阳 淳于 单于 东郭 第五'.split(' '),
);
const HAN = /\p{Script=Han}/u;
const ALL_HAN = /^\p{Script=Han}{2,4}$/u;

/** Pinyin without tones, surname readings for the first characters (单 → shan). */
function syllables(text: string, surname: boolean): string {
  return pinyin(text, { toneType: 'none', type: 'array', surname: surname ? 'head' : 'off', nonZh: 'consecutive' }).join(' ');
}

/** Latin words: accents folded (Zoë → zoe), anything else a separator. */
function latin(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
}

function tidy(s: string): string {
  return s
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX)
    .replace(/-+$/, '');
}

/**
 * A slug for a person's avatar from their display name, in any script: Chinese names in pinyin
 * (王伟 → wang-wei, 欧阳娜娜 → ouyang-nana), Latin names folded (Zoë Saldaña → zoe-saldana). A
 * name with nothing spellable (emoji only) falls back to the platform id (`u-ou-fox`), since the
 * slug must match avatar.yaml's rule in every case: a retry must not fail the same way.
 */
export function slugFromName(name: string | undefined, id: string): string {
  const n = (name ?? '').trim().normalize('NFKC');
  let slug = '';
  if (ALL_HAN.test(n)) {
    const split = n.length >= 3 && COMPOUND_SURNAMES.has(n.slice(0, 2)) ? 2 : 1;
    slug = `${syllables(n.slice(0, split), true).replace(/ /g, '')}-${syllables(n.slice(split), false).replace(/ /g, '')}`;
  } else if (HAN.test(n)) {
    slug = latin(syllables(n, false));
  } else {
    slug = latin(n);
  }
  slug = tidy(slug);
  if (slug.length >= 2 && SLUG_RE.test(slug)) return slug;
  return tidy(`u-${latin(id)}`) || 'u';
}

/** `base`, or `base-2`, `base-3`… if another avatar already has it (two people called 王伟). */
export function uniqueSlug(base: string, taken: (slug: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) {
    const suffix = `-${i}`;
    const candidate = `${base.slice(0, MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}
