import type { SourceUnit } from '../types';
import { titleFromName } from './title';

/** The first level-1 heading outside fenced code (`# Title` or `Title` over `===`), else a front-matter title. */
export function markdownTitle(text: string): string | undefined {
  const lines = text.split('\n');
  let fence: string | undefined;
  let frontTitle: string | undefined;
  let i = 0;
  if (lines[0]?.trim() === '---') {
    for (i = 1; i < lines.length && lines[i].trim() !== '---'; i++) {
      const m = /^title:\s*(.+?)\s*$/i.exec(lines[i]);
      if (m) frontTitle = m[1].replace(/^(["'])(.*)\1$/, '$2');
    }
    i++;
  }
  for (; i < lines.length; i++) {
    const line = lines[i];
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (!fence) fence = f[1][0];
      else if (f[1][0] === fence) fence = undefined;
      continue;
    }
    if (fence) continue;
    const atx = /^\s{0,3}#\s+(.+?)\s*#*\s*$/.exec(line);
    if (atx) return atx[1].trim();
    if (line.trim() && /^\s{0,3}=+\s*$/.test(lines[i + 1] ?? '')) return line.trim();
  }
  return frontTitle;
}

/** A Markdown or plain-text document as one unit; the chunker gives it line-range locators. */
export function loadMarkdownOrText(text: string, source: string, kind: 'markdown' | 'text'): SourceUnit {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const title = kind === 'markdown' ? markdownTitle(clean) : undefined;
  return { source, kind, text: clean, firstLine: 1, title: title ?? titleFromName(source) };
}
