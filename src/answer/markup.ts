/**
 * Checks shared by every surface that shows answer text: document and model text is untrusted,
 * so links are shown only when they are what they claim to be.
 */

/** An http(s) URL with nothing that could end a platform's link syntax. */
export const SAFE_URL = /^https?:\/\/[^\s<>|"'`()[\]]+$/;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Whether a link's label looks like an address other than the one it points to: a document's
 * `[https://wiki.example](https://evil.example)` must not pass for a wiki link.
 */
export function linkLabelMisleads(label: string, url: string): boolean {
  // An address: a scheme, www., or a host followed by a path ("rollback.md" is a file name).
  const m = /(?:[a-z][a-z0-9+.-]*:\/\/|\bwww\.)([^\s/:?#]+)|^\s*((?:[a-z0-9-]+\.)+[a-z]{2,})[/:]/i.exec(label);
  if (!m) return false;
  const shown = (m[1] ?? m[2]).toLowerCase().replace(/^www\./, '');
  return shown !== (hostOf(url) ?? '').replace(/^www\./, '');
}

/** Markdown links `[label](http…)` in text. */
export const MARKDOWN_LINK = /\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g;

/**
 * Terminal control sequences removed (ESC, other C0 except tab and newline, C1): a document
 * must not clear the screen, retitle the window or plant an OSC 8 hyperlink.
 */
export function stripControl(text: string): string {
  return text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '').replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}

/**
 * Code blocks taken out of their quote: Slack and Feishu do not render a fenced block inside a
 * `>` quote, so the quoted lines around it stay quoted and the code itself is shown as code.
 */
export function unquoteCode(text: string): string {
  const out: string[] = [];
  let inCode = false;
  for (const line of text.split('\n')) {
    const m = /^>\s?(.*)$/.exec(line);
    const body = m ? m[1] : line;
    if (m && /^\s*(```|~~~)/.test(body)) {
      inCode = !inCode;
      out.push(body.trim().replace(/^(```|~~~).*$/, '$1'));
      continue;
    }
    out.push(inCode && m ? body : line);
  }
  return out.join('\n');
}

/**
 * Apply `prose` to the text outside fenced code blocks and `code` to the blocks themselves
 * (fence lines included): Markdown conversions must not touch a `# comment` inside code.
 */
export function mapOutsideCode(text: string, prose: (s: string) => string, code: (s: string) => string): string {
  const parts: { code: boolean; lines: string[] }[] = [];
  let inCode = false;
  for (const line of text.split('\n')) {
    const fence = /^\s*(```|~~~)/.test(line);
    const isCode = inCode || fence;
    const last = parts[parts.length - 1];
    if (last && last.code === isCode && !(fence && !inCode && last.code)) last.lines.push(line);
    else parts.push({ code: isCode, lines: [line] });
    if (fence) inCode = !inCode;
  }
  return parts.map((p) => (p.code ? code(p.lines.join('\n')) : prose(p.lines.join('\n')))).join('\n');
}
