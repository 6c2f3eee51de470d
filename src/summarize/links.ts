import { UnderstudyError } from '../errors';
import type { HistoryMessage } from './message';
import { displayName } from './message';
import type { Cite, Summary } from './types';

const URL = /https?:\/\/[^\s<>()|"'`]+/g;

/**
 * Quoted text without its URLs: `label (url)` keeps the label, a bare URL becomes its host.
 * The only links a summary shows are permalinks of the messages it cites.
 */
export function scrubUrls(text: string): string {
  return text
    .replace(/([^\s()]+(?: [^\s()]+){0,6}) \((https?:\/\/[^\s)]+)\)/g, (_m, label: string, url: string) => (label === url ? hostOf(url) : label))
    .replace(URL, (u) => hostOf(u));
}

function hostOf(url: string): string {
  try {
    return `‹${new globalThis.URL(url).host}›`;
  } catch {
    return '‹link›';
  }
}

export function citeOf(m: HistoryMessage): Cite {
  return { id: m.id, link: m.link, who: displayName(m), ts: m.ts };
}

export function allCites(s: Summary): Cite[] {
  return [...s.topics.flatMap((t) => t.cites), ...s.decisions.map((d) => d.cite), ...s.actions.map((a) => a.cite), ...s.questions.map((q) => q.cite)];
}

/** Every cite names a fetched message and carries exactly that message's link. Throws otherwise. */
export function assertCitesValid(s: Summary, messages: HistoryMessage[]): void {
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const c of allCites(s)) {
    const m = byId.get(c.id);
    if (!m) throw new UnderstudyError('INTERNAL', `summary cites message ${c.id}, which is not in the fetched range`);
    if (c.link !== m.link) throw new UnderstudyError('INTERNAL', `summary cites ${c.id} with link ${c.link ?? '(none)'}, not its permalink ${m.link ?? '(none)'}`);
  }
}

export function linksIn(text: string): string[] {
  return [...text.matchAll(URL)].map((m) => m[0]);
}

/** Every URL in rendered output is the permalink of a fetched message. Throws otherwise. */
export function assertRenderedLinks(text: string, messages: HistoryMessage[]): void {
  const known = new Set(messages.map((m) => m.link).filter((l): l is string => Boolean(l)));
  const bad = linksIn(text).filter((u) => !known.has(u));
  if (bad.length) throw new UnderstudyError('INTERNAL', `summary shows ${bad.length} link(s) that are not permalinks of fetched messages, e.g. ${bad[0]}`);
}
