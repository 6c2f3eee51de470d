import { chunkUnit } from '../../../src/corpus/chunk';
import { loadCorpus } from '../../../src/corpus/load';
import type { SourceUnit } from '../../../src/corpus/types';
import type { EvidenceChunk, SkillPerson } from '../../../src/distill/skill';
import { corpus } from '../../helpers/corpora';

/** Units as the chunk store would number them: ids from 1 in load order. */
export async function toEvidence(units: readonly SourceUnit[], firstId = 1): Promise<EvidenceChunk[]> {
  const out: EvidenceChunk[] = [];
  for (const u of units) {
    for (const d of await chunkUnit(u)) {
      out.push({ id: firstId + out.length, text: d.text, source: u.source, locator: d.locator, kind: u.kind, title: u.title, date: u.date, author: u.author, context: u.context });
    }
  }
  return out;
}

export const ALLEN: SkillPerson = { name: 'Phillip Allen', name_en: 'Phillip K. Allen', title: 'Gas trader', team: 'West Gas Desk, Enron', languages: ['en'], pronoun: 'he' };

/** Phillip Allen's sent mail; both addresses are needed (eval/qa/REAL_CORPORA.md). */
export async function allenEvidence(): Promise<EvidenceChunk[]> {
  const r = await loadCorpus(corpus('enron_maildir_sent/maildir/allen-p/sent_items'), { author: ['k..allen@enron.com', 'phillip.allen@enron.com'] });
  return toEvidence(r.units);
}

/** Heather Turner, the most active member of the R Contributors Slack export. */
export const HEATHER: SkillPerson = { name: 'Heather Turner', title: 'Community manager', team: 'R Contributors', languages: ['en'], pronoun: 'she' };
export const HEATHER_ID = 'U01DZUA88S1';

export async function slackEvidence(author = HEATHER_ID): Promise<EvidenceChunk[]> {
  const r = await loadCorpus(corpus('slack_export_r_contributors'), { author });
  return toEvidence(r.units);
}

/** Lines of a section, e.g. section(md, 'Work', 'Systems owned'). */
export function section(markdown: string, h2: string, h3?: string): string {
  const start = markdown.indexOf(`## ${h2}\n`);
  if (start < 0) return '';
  let body = markdown.slice(start + h2.length + 4);
  const next = body.search(/^## /m);
  if (next >= 0) body = body.slice(0, next);
  if (!h3) return body;
  const s = body.indexOf(`### ${h3}\n`);
  if (s < 0) return '';
  body = body.slice(s + h3.length + 5);
  const n = body.search(/^### /m);
  return n >= 0 ? body.slice(0, n) : body;
}
