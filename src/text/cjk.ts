/**
 * Han ideographs (CJK Unified Ideographs, Extension A, compatibility ideographs): what the
 * tokenizer, language detection and length counts treat as Chinese. A character-class body, for
 * building larger patterns.
 */
export const HAN = '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff';

/**
 * Han plus kana and Hangul: every script written without spaces between words, where a character
 * bigram plays the part of a word (near-duplicate shingles).
 */
export const CJK_SCRIPTS = `\u3040-\u30ff${HAN}\uac00-\ud7af`;

const HAN_CHAR = new RegExp(`[${HAN}]`);
const HAN_CHARS = new RegExp(`[${HAN}]`, 'g');

/** Whether a string holds any Han character. */
export function hasCjk(text: string): boolean {
  return HAN_CHAR.test(text);
}

/** Whether a token (a tokenizer output) is CJK: its first character is Han. */
export function isCjkToken(token: string): boolean {
  return HAN_CHAR.test(token[0] ?? '');
}

/** How many Han characters a string holds. */
export function countCjk(text: string): number {
  return text.match(HAN_CHARS)?.length ?? 0;
}

/** Wide characters: CJK punctuation, kana, Han, Hangul and full-width forms. */
function isWide(code: number): boolean {
  return (
    (code >= 0x3000 && code <= 0x30ff) || // CJK punctuation, kana
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xac00 && code <= 0xd7af) || // Hangul
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xff00 && code <= 0xffef) // full-width forms
  );
}

/**
 * Length in units where a CJK character counts 2 and anything else 1. A Chinese character carries
 * roughly what a short English word does in about half the characters, so a 600-unit chunk holds
 * ~300 Chinese characters or ~600 Latin ones: similar amounts of meaning for the embedder and the
 * prompt budget.
 */
export function lengthUnits(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) if (isWide(text.charCodeAt(i))) n++;
  return n;
}
