import { useRef, useState, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeSanitize from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';
import { linkCitations } from './cite-links';
import { t } from './i18n';

/**
 * Answer text as Markdown. Raw HTML in it (a corpus document quoting `<script>`) stays text:
 * react-markdown turns it into text without rehype-raw, and rehype-sanitize cleans what Markdown
 * itself makes. Images are not loaded (they would reach other servers); `[n]` markers become
 * buttons that open the cited source (see linkCitations).
 */
export function Markdown({ text, citations, onCite }: { text: string; citations: number[]; onCite?: (n: number) => void }) {
  const components: Components = {
    pre: CodeBlock,
    img: ({ alt, src }) => (
      <span className="md-image">
        [{t.image}: {alt || src}]
      </span>
    ),
    a: ({ href, children }) => {
      const cite = /#(?:user-content-)?cite-(\d+)$/.exec(href ?? '');
      if (cite && onCite) {
        const n = Number(cite[1]);
        return (
          <button type="button" className="cite-marker" onClick={() => onCite(n)} title={t.openSource(n, '')}>
            {children}
          </button>
        );
      }
      return (
        <a href={href} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      );
    },
    table: ({ children }) => (
      <div className="table-wrap">
        <table>{children}</table>
      </div>
    ),
  };
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rawAsText, rehypeSanitize]} components={components}>
        {linkCitations(text, citations)}
      </ReactMarkdown>
    </div>
  );
}

interface HastNode {
  type: string;
  children?: HastNode[];
}

/**
 * HTML written in the text becomes text before the sanitizer runs: rehype-sanitize would drop it
 * silently, and a document that quotes `<script>` should be shown quoting it.
 */
function rawAsText() {
  const walk = (node: HastNode): void => {
    for (const child of node.children ?? []) {
      if (child.type === 'raw') child.type = 'text';
      else walk(child);
    }
  };
  return walk;
}

function CodeBlock({ children }: { children?: ReactNode }) {
  const ref = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const text = ref.current?.textContent ?? '';
    if ((await writeClipboard(text)) || copyBySelection(text)) {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    }
  };
  return (
    <div className="code-block">
      <button type="button" className="copy" onClick={() => void copy()} aria-label={t.copyCode}>
        {copied ? t.copied : t.copy}
      </button>
      {/* Focusable: a wide block scrolls sideways, and keyboards must reach it too. */}
      <pre ref={ref} tabIndex={0}>
        {children}
      </pre>
    </div>
  );
}

async function writeClipboard(text: string): Promise<boolean> {
  try {
    // Undefined outside secure contexts (the page opened by a LAN address over http).
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The older way, which works over plain http too: select the text in a hidden field and copy. */
function copyBySelection(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'sr-only';
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
