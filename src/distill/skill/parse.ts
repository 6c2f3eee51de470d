import { anchorsIn, stripAnchors } from './anchors';

export type LineKind = 'item' | 'step' | 'title' | 'paragraph' | 'note';

export interface ParsedLine {
  kind: LineKind;
  /** Text without the bullet or number and without anchors. */
  text: string;
  anchors: number[];
  /** The line as written. */
  raw: string;
}

export interface ParsedSection {
  /** "Work/Responsibilities", "Persona/Tone", "Honest limits", "Corrections", or "" for the preamble. */
  path: string;
  heading: string;
  lines: ParsedLine[];
}

const NOTE = /^_[^_].*_$/;

/**
 * Split a skill.md into sections keyed by their heading path, and each section into claim lines.
 * Wrapped paragraph lines join into one claim; the anchors at its end cover all of it.
 */
export function parseSkill(markdown: string): { title: string; sections: ParsedSection[] } {
  let title = '';
  let h2 = '';
  const sections: ParsedSection[] = [{ path: '', heading: '', lines: [] }];
  let para: string[] = [];
  const cur = () => sections[sections.length - 1];
  const flush = () => {
    if (!para.length) return;
    const raw = para.join(' ');
    cur().lines.push({ kind: 'paragraph', text: stripAnchors(raw).trim(), anchors: anchorsIn(raw), raw });
    para = [];
  };
  for (const line of markdown.split(/\r?\n/)) {
    const t = line.trim();
    const h = t.match(/^(#{1,6})\s+(.*)$/);
    if (h) {
      flush();
      const level = h[1].length;
      const heading = h[2].trim();
      if (level === 1) {
        title = heading;
        continue;
      }
      if (level === 2) h2 = heading;
      sections.push({ path: level === 2 ? heading : `${h2}/${heading}`, heading, lines: [] });
      continue;
    }
    if (!t) {
      flush();
      continue;
    }
    const item = t.match(/^[-*+]\s+(.*)$/);
    const step = t.match(/^\d+[.)]\s+(.*)$/);
    if (item || step) {
      flush();
      const body = (item ?? step)?.[1] ?? '';
      cur().lines.push({ kind: NOTE.test(body) ? 'note' : item ? 'item' : 'step', text: stripAnchors(body).trim(), anchors: anchorsIn(body), raw: line });
      continue;
    }
    if (NOTE.test(t)) {
      flush();
      cur().lines.push({ kind: 'note', text: t, anchors: [], raw: line });
      continue;
    }
    if (/^\*\*[^*]+\*\*/.test(t) && (anchorsIn(t).length > 0 || /\*\*\s*(?:\[[^\]]+\]\s*)*$/.test(t))) {
      flush();
      cur().lines.push({ kind: 'title', text: stripAnchors(t).trim(), anchors: anchorsIn(t), raw: line });
      continue;
    }
    para.push(t);
  }
  flush();
  return { title, sections: sections.filter((s) => s.path !== '' || s.lines.length > 0) };
}
