/**
 * Text from a skill folder someone else wrote. It is data: it lands in skill.md (which the answer
 * prompt quotes as the avatar's skill) and is never followed as instructions, so it is made
 * unable to pose as our structure: its headings sit below ours, prompt delimiters are
 * neutralised, and anchors it claims (`[e:12]`) are not ours to trust.
 */
import fs from 'node:fs';
import { neutralize } from '../answer/prompt';
import { UnderstudyError } from '../errors';

/** Larger skill texts are refused: a skill is read into every answer's prompt. */
export const MAX_SKILL_FILE_BYTES = 256 * 1024;

export function readTextFile(file: string, max = MAX_SKILL_FILE_BYTES): string {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    throw new UnderstudyError('FILE_UNREADABLE', `${file}: cannot read: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  if (!st.isFile()) throw new UnderstudyError('INPUT_INVALID', `${file}: not a regular file (symbolic links and folders are not read)`, { details: { file } });
  if (st.size > max) throw new UnderstudyError('INPUT_INVALID', `${file}: ${Math.round(st.size / 1024)} KB is more than the ${Math.round(max / 1024)} KB a skill file may have`, { details: { file } });
  const bytes = fs.readFileSync(file);
  if (bytes.includes(0)) throw new UnderstudyError('INPUT_INVALID', `${file}: binary content (NUL bytes); a skill file is text`, { details: { file } });
  return bytes.toString('utf8');
}

/** Control characters other than tab and newline, and a leading BOM. */
function stripControls(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g, '');
}

/**
 * Foreign Markdown made safe to sit under one of our `##` sections: headings pushed `depth`
 * levels down (outside code fences), delimiters neutralised, unverified anchors spelled out.
 */
export function foreignMarkdown(text: string, depth = 2): string {
  let fence: string | undefined;
  const lines = stripControls(text)
    .split('\n')
    .map((line) => {
      const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (f) {
        if (!fence) fence = f[1][0];
        else if (f[1][0] === fence) fence = undefined;
        return line;
      }
      if (fence) return line;
      const h = /^\s{0,3}(#{1,6})(\s+.*)?$/.exec(line);
      if (h) return `${'#'.repeat(Math.min(6, h[1].length + depth))}${h[2] ?? ''}`;
      // A setext underline would make the line above a heading of ours.
      if (/^\s{0,3}(?:=+|-{3,})\s*$/.test(line)) return '';
      return line;
    });
  return neutralize(lines.join('\n'))
    .replace(/\[e:(\d+)\]/g, '(unverified source $1)')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** One line of foreign text (a name, a title) with nothing that breaks a Markdown line or YAML. */
export function foreignLine(text: string, max = 120): string {
  return neutralize(stripControls(text)).replace(/\s+/g, ' ').trim().slice(0, max);
}
