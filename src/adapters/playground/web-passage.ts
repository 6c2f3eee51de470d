import type { AvatarService } from '../../app/avatar-service';
import type { Viewer } from '../../avatars/visibility';
import { slackDaySource } from '../../corpus/slack-day';
import type { Chunk, SourceKind, Visibility } from '../../corpus/types';

/** Lines of the document shown around a cited passage, on each side. */
const CONTEXT_LINES = 30;
/** Replies of a thread shown beside a cited message. */
const THREAD_REPLIES = 50;

interface Reply {
  locator: string;
  text: string;
  author?: string;
  date?: string;
  cited: boolean;
}

/** A cited passage as the side panel shows it: the document around it, or the message in its thread. */
export interface PassageView {
  avatar: string;
  source: string;
  locator: string;
  kind: SourceKind;
  title?: string;
  url?: string;
  date?: string;
  author?: string;
  visibility: Visibility;
  /** Documents: the lines around the passage (1-based numbers), the cited ones to highlight. */
  document?: { lines: { n: number; text: string }[]; highlight: { from: number; to: number }; more: { before: boolean; after: boolean } };
  /** Messages and e-mails: the cited message, what it replied to, and the other replies of its thread. */
  message?: { text: string; thread?: { root?: string; replies: Reply[] } };
}

const LINES = /^L(\d+)-L(\d+)$/;

/**
 * The passage `locator` of `source` in `slug`'s index, read from the stored (masked) chunks, never
 * the corpus files; undefined when there is none, or when `viewer` may not see it (a private
 * source looks exactly like a missing one).
 */
export function findPassage(service: AvatarService, slug: string, source: string, locator: string, viewer: Viewer): PassageView | undefined {
  const index = service.index(slug);
  if (!index.exists()) return undefined;
  const chunks = index
    .chunkStore()
    .bySource(source)
    .map((c) => index.get(c.id))
    .filter((c): c is Chunk => c !== undefined && index.canSee(viewer, c));
  const range = LINES.exec(locator);
  const cited = range ? chunks.filter((c) => overlaps(c.locator, Number(range[1]), Number(range[2]))) : chunks.filter((c) => c.locator === locator);
  if (cited.length === 0) return undefined;
  const first = cited[0];
  const base: PassageView = {
    avatar: slug, source, locator, kind: first.kind, title: first.title, url: first.url, date: first.date, author: first.author, visibility: first.visibility,
  };
  if (range) return { ...base, document: documentAround(chunks, Number(range[1]), Number(range[2])) };
  return { ...base, message: { text: cited.map((c) => c.text).join('\n'), thread: threadOf([...chunks, ...nearbyDays(index, source, viewer)], first) } };
}

/** Days each way of a Slack export day file read for a thread: a reply sits in the day file of its own date. */
const THREAD_DAYS = 31;
const DAY_MS = 86_400_000;

/** The messages of the same Slack export channel on the days around `source`'s day (none for other sources). */
function nearbyDays(index: ReturnType<AvatarService['index']>, source: string, viewer: Viewer): Chunk[] {
  const at = slackDaySource(source);
  if (!at) return [];
  const day = Date.parse(at.day);
  const store = index.chunkStore();
  return store
    .sourceCounts()
    .map((s) => s.source)
    .filter((s) => {
      const d = slackDaySource(s);
      return s !== source && d?.channel === at.channel && Math.abs(Date.parse(d.day) - day) <= THREAD_DAYS * DAY_MS;
    })
    .flatMap((s) => store.bySource(s))
    .map((c) => index.get(c.id))
    .filter((c): c is Chunk => c !== undefined && index.canSee(viewer, c));
}

function overlaps(locator: string, from: number, to: number): boolean {
  const m = LINES.exec(locator);
  return m !== null && Number(m[1]) <= to && Number(m[2]) >= from;
}

/** The document's lines near `from`..`to`, put back together from its chunks (a chunk's first line is its start line). */
function documentAround(chunks: Chunk[], from: number, to: number): NonNullable<PassageView['document']> {
  const known = new Map<number, string>();
  let last = 0;
  for (const c of chunks) {
    const m = LINES.exec(c.locator);
    if (!m) continue;
    const start = Number(m[1]);
    c.text.split('\n').forEach((line, i) => {
      if (!known.has(start + i)) known.set(start + i, line);
    });
    last = Math.max(last, Number(m[2]), start + c.text.split('\n').length - 1);
  }
  const lo = Math.max(1, from - CONTEXT_LINES);
  const hi = Math.min(last, to + CONTEXT_LINES);
  const lines: { n: number; text: string }[] = [];
  for (let n = lo; n <= hi; n++) lines.push({ n, text: known.get(n) ?? '' });
  return { lines, highlight: { from, to }, more: { before: lo > 1, after: hi < last } };
}

/**
 * The thread a message belongs to: the root it answered (kept as its context) and the other
 * replies to that root; for a cited root, the replies to it. Undefined for a message on its own.
 */
function threadOf(chunks: Chunk[], message: Chunk): NonNullable<PassageView['message']>['thread'] {
  let members: Chunk[];
  if (message.context) members = chunks.filter((c) => c.context === message.context);
  else {
    // A reply's context is "<who>: <the root's text>" (cut short): find the replies to this message.
    const head = message.text.slice(0, 40);
    members = [message, ...chunks.filter((c) => c.context !== undefined && c.context.slice(c.context.indexOf(': ') + 2).startsWith(head))];
    if (members.length === 1) return undefined;
  }
  // A long message is several chunks with one locator: one entry each.
  const byLocator = new Map<string, Reply>();
  for (const c of [...members].sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '') || a.id - b.id)) {
    const seen = byLocator.get(c.locator);
    if (seen) seen.text += `\n${c.text}`;
    else byLocator.set(c.locator, { locator: c.locator, text: c.text, author: c.author, date: c.date, cited: c.locator === message.locator });
  }
  return { root: message.context, replies: [...byLocator.values()].slice(0, THREAD_REPLIES) };
}
