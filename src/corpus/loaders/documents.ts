import path from 'node:path';
import { convert } from 'html-to-text';
import mammoth from 'mammoth';
import type { SourceKind, SourceUnit } from '../types';

function titleFromName(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '');
}

export function loadMarkdownOrText(text: string, source: string, kind: SourceKind): SourceUnit {
  const clean = text.replace(/^\uFEFF/, '');
  const heading = kind === 'markdown' ? /^#\s+(.+)$/m.exec(clean)?.[1] : undefined;
  return { source, kind, text: clean, firstLine: 1, title: heading?.trim() ?? titleFromName(source) };
}

export function loadHtml(html: string, source: string): SourceUnit {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() || /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1]?.replace(/<[^>]+>/g, '').trim();
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', options: { uppercaseHeaderCells: false } },
    ],
  });
  return { source, kind: 'html', text, title: title || titleFromName(source) };
}

export async function loadPdf(buf: Buffer, source: string): Promise<SourceUnit> {
  // pdf-parse pulls in pdf.js; load it only when a PDF shows up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PDFParse } = require('pdf-parse') as typeof import('pdf-parse');
  const parser = new PDFParse({ data: new Uint8Array(buf) });
  try {
    const result = await parser.getText();
    let title: string | undefined;
    try {
      const info = await parser.getInfo();
      const t = (info.info as { Title?: unknown } | undefined)?.Title;
      title = typeof t === 'string' && t.trim() ? t.trim() : undefined;
    } catch {
      title = undefined;
    }
    const text = result.text.replace(/\n*-- \d+ of \d+ --\n*/g, '\n\n').trim();
    return { source, kind: 'pdf', text, title: title ?? titleFromName(source) };
  } finally {
    await parser.destroy();
  }
}

export async function loadDocx(buf: Buffer, source: string): Promise<SourceUnit> {
  const result = await mammoth.extractRawText({ buffer: buf });
  const text = result.value.replace(/\n{3,}/g, '\n\n').trim();
  const first = text.split('\n').find((l) => l.trim())?.trim();
  return { source, kind: 'docx', text, title: first && first.length <= 80 ? first : titleFromName(source) };
}
