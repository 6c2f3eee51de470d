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
