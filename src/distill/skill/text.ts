import { countCjk, hasCjk } from '../../text/cjk';
import { splitSentences } from '../../text/sentences';
import { GREETING_WORDS, SIGNOFF_WORDS } from './patterns';

const LATIN_WORD = /[A-Za-z][A-Za-z'’-]*/g;

/** A message split into what the subject wrote as prose and the habits around it. */
export interface CleanMessage {
  /** Prose without code blocks, quoted lines, greeting and sign-off. */
  body: string;
  greeting?: string;
  signoff?: string;
  /** Inline code and fenced blocks, as written. */
  code: string[];
}

const FENCE = /```[\s\S]*?(?:```|$)/g;
const INLINE_CODE = /`([^`\n]{1,80})`/g;

/** "Jeff," / "Hi Karen," / "Hi @Sir Ade." / "各位好，" as a message's first line or sentence. */
function greetingOf(firstLine: string): { greeting: string; rest: string } | undefined {
  const line = firstLine.trim();
  // A bare name and a comma on its own line is the usual e-mail salutation.
  const bare = /^((?:(?:hi|hello|hey|dear|good morning|morning)\s+)?@?[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,2}|(?:hi|hello|hey)(?:\s+(?:all|everyone|team|folks|there))?)\s*[,!:：，]\s*$/i;
  if (bare.test(line)) return { greeting: line, rest: '' };
  const lead = line.match(/^((?:hi|hello|hey|dear|thanks|good morning|morning)\s+@?[\w.'’-]+(?:\s[A-Z][\w'’-]+)?|hi all|hi everyone|hello all|你好|您好|各位好?|大家好|hi)\s*[,!.:：，。！]\s*/i);
  if (lead && GREETING_WORDS.test(lead[1]) && !/^thanks/i.test(lead[1])) return { greeting: lead[1], rest: line.slice(lead[0].length) };
  return undefined;
}

/** Strip the subject's name or initials from the end, then a closing formula before it. */
function signoffOf(lines: string[], nameParts: readonly string[]): { signoff: string; keep: number } | undefined {
  let end = lines.length;
  const taken: string[] = [];
  const isName = (l: string) => l.length <= 30 && nameParts.some((p) => l.replace(/[\s.,-]/g, '').toLowerCase() === p);
  if (end > 1 && isName(lines[end - 1].trim())) taken.unshift(lines[--end].trim());
  if (end > 0 && SIGNOFF_WORDS.test(lines[end - 1].trim())) taken.unshift(lines[--end].trim());
  return taken.length ? { signoff: taken.join(' / '), keep: end } : undefined;
}

export function cleanMessage(text: string, nameParts: readonly string[] = []): CleanMessage {
  const code: string[] = [];
  let t = text.replace(FENCE, (m) => {
    code.push(m);
    return '\n';
  });
  for (const m of t.matchAll(INLINE_CODE)) code.push(m[1]);
  // Quoted lines are others' words.
  let lines = t.split('\n').filter((l) => !/^\s*>/.test(l));
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  let greeting: string | undefined;
  if (lines.length) {
    const g = greetingOf(lines[0]);
    if (g) {
      greeting = g.greeting;
      lines[0] = g.rest;
    }
  }
  const s = signoffOf(lines, nameParts);
  if (s) lines = lines.slice(0, s.keep);
  t = lines.join('\n').trim();
  return { body: t, greeting, signoff: s?.signoff, code };
}

/** Sentences worth quoting: prose, not tables, stack traces or lone words. */
export function proseSentences(body: string): string[] {
  return splitSentences(body)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => isProse(s));
}

export function isProse(s: string): boolean {
  const cjk = countCjk(s);
  const words = (s.match(LATIN_WORD) ?? []).length;
  if (cjk < 6 && words < 4) return false;
  // Tables, numbers-only lines, URLs and log output.
  const letters = cjk + (s.match(/[A-Za-z]/g) ?? []).length;
  if (letters / s.length < 0.55) return false;
  if (/^(?:https?:\/\/\S+|\[\d+\]|Error|Warning|at \w+)/.test(s)) return false;
  return true;
}

export function wordCount(text: string): number {
  return (text.match(LATIN_WORD) ?? []).length + countCjk(text) / 1.6;
}

/** Shorten to `max` characters at a word boundary. */
export function clip(text: string, max = 180): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const at = Math.max(cut.lastIndexOf(' '), cut.lastIndexOf('，'), cut.lastIndexOf(','));
  return `${(at > max * 0.6 ? cut.slice(0, at) : cut).replace(/[\s,，;；:：]+$/, '')}…`;
}

/** A quote safe to put inside a Markdown line: no anchors, no line breaks, no backtick runs. */
export function quote(text: string, max = 180): string {
  const q = clip(text.replace(/\[e:\d+\]/g, '').replace(/`{3,}/g, ''), max);
  return hasCjk(q) ? `「${q}」` : `“${q}”`;
}

export function monthOf(date: string | undefined): string | undefined {
  return date && /^\d{4}-\d{2}/.test(date) ? date.slice(0, 7) : undefined;
}
