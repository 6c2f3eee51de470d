/**
 * The Agent Skills folder Understudy writes and reads back: `SKILL.md` (YAML front matter with
 * `name` and `description`, then the skill, the disclosure rule and a note on the evidence) and
 * `references/e-<N>.md`, one per `[e:N]` anchor (front matter with where the quote came from,
 * then the quote, masked).
 */
import YAML from 'yaml';
import { UnderstudyError } from '../errors';

/** `metadata.understudy-format` in SKILL.md: marks a folder this code wrote. */
export const FORMAT_VERSION = '1';
export const DISCLOSURE_HEADING = '## Disclosure rule';
export const EVIDENCE_HEADING = '## Evidence';
export const REFERENCES_DIR = 'references';

export function referenceFile(n: number): string {
  return `e-${n}.md`;
}

export const REFERENCE_NAME = /^e-(\d+)\.md$/;

export interface FrontMatter {
  data: Record<string, unknown>;
  body: string;
}

/**
 * Split `---` YAML front matter from a Markdown file. A file without front matter has `data` {}.
 * Bad YAML is an error naming the file and the line.
 */
export function splitFrontMatter(text: string, file: string): FrontMatter {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const m = /^---\n([\s\S]*?)\n---(?:\n|$)/.exec(clean);
  if (!m) return { data: {}, body: clean };
  const doc = YAML.parseDocument(m[1], { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = (e.linePos?.[0]?.line ?? 0) + 1;
    throw new UnderstudyError('PARSE_FAILED', `${file}:${line}: invalid YAML front matter: ${e.message.split('\n')[0]}`, { details: { file } });
  }
  const data = doc.toJS() as unknown;
  if (data !== null && (typeof data !== 'object' || Array.isArray(data))) {
    throw new UnderstudyError('PARSE_FAILED', `${file}: the front matter must be a YAML mapping (name: ..., description: ...)`, { details: { file } });
  }
  return { data: (data ?? {}) as Record<string, unknown>, body: clean.slice(m[0].length) };
}

export function joinFrontMatter(data: Record<string, unknown>, body: string): string {
  return `---\n${YAML.stringify(data, { lineWidth: 0 }).trimEnd()}\n---\n\n${body.replace(/^\n+/, '')}`;
}
