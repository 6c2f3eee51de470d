import type { CorpusView } from './corpus-view';
import { MENTION, REFERRAL, REFERRAL_ZH } from './patterns';
import { isStopWord } from './terms';

/**
 * Common given names, to tell "Kevin Kolb" (a person) from "San Marcos" (a place) when the
 * material itself gives no hint. The corpus adds its own: names in greetings and thread authors.
 */
const GIVEN_NAMES = new Set(
  ('aaron adam adrian alan albert alex alice amanda amy andrea andrew andy angela ann anna anne anthony barbara ben benjamin bill ' +
    'bob brad brian bruce carl carol caroline catherine charles chris christina christine christopher claire craig dan daniel ' +
    'dave david deborah dennis diana donald donna doug douglas ed edward elizabeth emily emma eric frank gary george grace greg ' +
    'gregory hannah harry heather helen henry ian jack jacob james jamie jane janet jason jay jean jeff jeffrey jennifer jenny ' +
    'jeremy jerry jessica jim jimmy joe john jon jonathan joseph josh julia julie justin karen kate katherine kathy keith kelly ' +
    'kevin kim kirk larry laura lauren linda lisa lucy maria mark martin mary matt matthew max megan melissa michael michelle mike ' +
    'monique nancy nathan nick nicole olivia pam pamela patricia patrick paul peter phil phillip rachel ray rebecca richard rick ' +
    'rob robert roger ron ryan sam samantha sandra sara sarah scott sean sharon steve steven sue susan thomas tim timothy tina tom ' +
    'tony victoria vincent walter william zoe').split(' '),
);

export interface PersonMention {
  name: string;
  chunks: number[];
  /** How they were seen: addressed in a greeting, @mentioned, referred to ("ask X"), or as a thread author. */
  ways: Set<'addressed' | 'mentioned' | 'referred' | 'thread'>;
}

function cleanName(raw: string): string | undefined {
  const n = raw
    .replace(/^@/, '')
    .replace(/\s*\(.*$/, '')
    .replace(/[,.:;!?]+$/, '')
    .trim();
  if (n.length < 2 || n.length > 40) return undefined;
  if (isStopWord(n.split(' ')[0])) return undefined;
  if (/^(?:hi|hello|hey|dear|all|everyone|team|folks|there|guys|morning)$/i.test(n)) return undefined;
  return n;
}

/** People the subject deals with, from greetings, @mentions, referrals and thread authors. */
export function peopleIn(view: CorpusView): Map<string, PersonMention> {
  const people = new Map<string, PersonMention>();
  const self = new Set(view.nameParts);
  const add = (raw: string, chunk: number, way: PersonMention['ways'] extends Set<infer W> ? W : never) => {
    const name = cleanName(raw);
    if (!name || isSelf(name, self)) return;
    let p = people.get(name);
    if (!p) people.set(name, (p = { name, chunks: [], ways: new Set() }));
    if (!p.chunks.includes(chunk)) p.chunks.push(chunk);
    p.ways.add(way);
  };
  for (const it of view.items) {
    const id = it.chunk.id;
    const g = it.clean.greeting?.replace(/^(?:hi|hello|hey|dear|good morning|morning)\s+/i, '').replace(/[,!:：，.]+$/, '');
    if (g && /^@?[A-Z]/.test(g)) {
      // "Jeff," answering a mail from Jeff Smith is Jeff Smith.
      const full = contextAuthors(it.chunk.context ?? '').find((a) => a.split(' ')[0].toLowerCase() === g.replace(/^@/, '').toLowerCase());
      add(full ?? g, id, 'addressed');
    }
    for (const m of it.clean.body.matchAll(MENTION)) add(m[1], id, 'mentioned');
    for (const m of it.clean.body.matchAll(REFERRAL)) if (looksLikePerson(m[1], people)) add(m[1], id, 'referred');
    for (const m of it.clean.body.matchAll(REFERRAL_ZH)) add(m[1], id, 'referred');
    for (const n of contextAuthors(it.chunk.context ?? '')) add(n, id, 'thread');
  }
  return people;
}

const HEADER = /^(?:subject|to|cc|bcc|sent|date|re|fw|fwd|from|importance|attachments?|note|ps)$/i;

/** "Buckley, Karen" -> "Karen Buckley"; '"JEFF SMITH" <js@x>' -> "Jeff Smith". */
export function normalizePersonName(raw: string): string | undefined {
  let n = raw
    .replace(/<[^>]*>/g, ' ')
    .replace(/@\w+/g, ' ')
    .replace(/["']/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const comma = n.match(/^([A-Z][\w'’-]+),\s*([A-Z][\w'’-]+(?:\s[A-Z]\.?)?)$/i);
  if (comma) n = `${comma[2]} ${comma[1]}`;
  n = n.replace(/,\s*[A-Z]{2,5}$/, '');
  if (n === n.toUpperCase() && /[A-Z]/.test(n)) n = n.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
  if (!n || HEADER.test(n) || n.split(' ').length > 4 || /\d|@/.test(n)) return undefined;
  return n;
}

/** Authors in thread context: e-mail "From:" lines and chat "Name: text" lines. */
export function contextAuthors(context: string): string[] {
  const out: string[] = [];
  for (const m of context.matchAll(/^From:\s*(.+)$/gim)) {
    const n = normalizePersonName(m[1]);
    if (n) out.push(n);
  }
  for (const m of context.matchAll(/^([A-Z\u4e00-\u9fff][^:\n]{1,40}?)(?: \([^)]*\))?: /gm)) {
    if (HEADER.test(m[1].trim())) continue;
    const n = normalizePersonName(m[1]);
    if (n) out.push(n);
  }
  return [...new Set(out)];
}

/** "Phillip K. Allen" is the subject when every full word of it is part of their name. */
function isSelf(name: string, self: ReadonlySet<string>): boolean {
  const low = name.toLowerCase();
  if (self.has(low.replace(/[\s.]/g, '')) || self.has(low)) return true;
  const words = low.split(/[\s,]+/).map((w) => w.replace(/\./g, '')).filter((w) => w.length > 1);
  return words.length >= 2 && words.every((w) => self.has(w));
}

function looksLikePerson(name: string, known: Map<string, PersonMention>): boolean {
  const first = name.replace(/^@/, '').split(/\s+/)[0];
  return GIVEN_NAMES.has(first.toLowerCase()) || known.has(first) || name.startsWith('@');
}

/** Whether a capitalised run is probably a person: it starts with a given or known first name. */
export function isPersonName(term: string, people: Map<string, PersonMention>): boolean {
  const words = term.split(/\s+/);
  if (people.has(term)) return true;
  if (words.length > 3) return false;
  const first = words[0];
  return GIVEN_NAMES.has(first.toLowerCase()) || [...people.keys()].some((k) => k === first || k.split(/\s+/)[0] === first);
}
