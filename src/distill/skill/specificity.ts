/**
 * Whether a statement says something only this person's material could say: numbers, dates,
 * commands, names of systems or people. Filler ("communicates effectively") has none of these.
 */
const NUMBER = /\d/;
const CODE = /`[^`]+`/;
const IDENTIFIER = /\b[A-Za-z]\w*_\w+|\b[a-z]\w+\.[a-z]\w+|\b[a-z]+\d*(?:-[a-z0-9]+)*-\d\w*|\b[a-z]+[A-Z]\w*|\b[A-Z][a-z]+[A-Z]\w*|\b\w+\(\)/;
const ACRONYM = /\b[A-Z][A-Z0-9&]{1,9}\b/;
// A capitalised word that does not start the line or a sentence: a name.
const MID_NAME = /[a-z,;:)]\s+[A-Z][a-z]{2,}/;
const CJK_SPECIFIC = /[「“"][^」”"]{2,}[」”"]|[A-Za-z]{3,}.*[\u4e00-\u9fff]|[\u4e00-\u9fff].*[A-Za-z]{3,}/;

export function isSpecific(text: string): boolean {
  const t = text.replace(/\[(?:e|src):[^\]]+\]/g, '').replace(/^\s*(?:[-*]|\d+\.)\s*/, '');
  return NUMBER.test(t) || CODE.test(t) || IDENTIFIER.test(t) || ACRONYM.test(t) || MID_NAME.test(t) || CJK_SPECIFIC.test(t);
}

/** How specific a sentence is, for ranking candidates: 0 (generic) and up. */
export function specificityScore(text: string): number {
  let s = 0;
  if (NUMBER.test(text)) s += 1;
  if (CODE.test(text)) s += 1.5;
  if (IDENTIFIER.test(text)) s += 1;
  if (ACRONYM.test(text)) s += 0.5;
  if (MID_NAME.test(text)) s += 0.5;
  return s;
}
