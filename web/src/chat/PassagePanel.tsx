import { useEffect, useRef } from 'react';
import { chatCitationName } from '../../../src/answer/citation-name';
import type { Citation, Passage } from './api';
import { t } from './i18n';

export interface PanelState {
  citation: Citation;
  passage?: Passage;
  error?: string;
}

/** Only web links become links: a corpus URL is untrusted text. */
function safeUrl(url: string | undefined): string | undefined {
  return url && /^https?:\/\//i.test(url) ? url : undefined;
}

/**
 * The cited passage in its document (lines highlighted) or its thread, beside the conversation.
 * A complementary panel, not a modal: the conversation stays usable; Escape or Close shuts it.
 */
export function PassagePanel({ state, onClose }: { state: PanelState; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const { citation: c, passage: p } = state;

  useEffect(() => {
    heading.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [c, onClose]);

  useEffect(() => {
    list.current?.querySelector('.hl')?.scrollIntoView({ block: 'center' });
  }, [p]);

  const url = safeUrl(p?.url ?? c.url);
  return (
    <aside className="passage" aria-labelledby="passage-title">
      <header className="passage-head">
        <div>
          <p className="eyebrow">
            {t.sourcePanel} [{c.n}]
          </p>
          <h2 id="passage-title" tabIndex={-1} ref={heading}>
            {chatCitationName({ kind: c.kind, title: p?.title ?? c.title, source: c.source })}
          </h2>
          <p className="meta">
            <code>{c.source}</code> · {c.locator}
            {(p?.date ?? c.date) && <> · {(p?.date ?? c.date ?? '').slice(0, 10)}</>}
            {p?.author && <> · {p.author}</>}
          </p>
        </div>
        <button type="button" className="ghost close" onClick={onClose} aria-label={t.close}>
          ✕
        </button>
      </header>
      {url && (
        <p className="permalink">
          <a href={url} target="_blank" rel="noopener noreferrer">
            {t.permalink} ↗
          </a>
        </p>
      )}
      <div className="passage-body" tabIndex={0} role="region" aria-label={t.sourcePanel}>
        {!p && !state.error && <p aria-busy="true">{t.loading}</p>}
        {state.error && (
          <>
            <p role="alert">{state.error}</p>
            <blockquote className="quoted">{c.text}</blockquote>
          </>
        )}
        {p?.document && (
          <>
            {p.document.more.before && <p className="more">⋯ {t.moreAbove}</p>}
            <ol className="doc" ref={list}>
              {p.document.lines.map((l) => {
                const hl = l.n >= p.document!.highlight.from && l.n <= p.document!.highlight.to;
                return (
                  <li key={l.n} className={hl ? 'hl' : undefined}>
                    <span className="ln" aria-hidden="true">
                      {l.n}
                    </span>
                    {hl ? <mark>{l.text || ' '}</mark> : <span>{l.text || ' '}</span>}
                  </li>
                );
              })}
            </ol>
            {p.document.more.after && <p className="more">⋯ {t.moreBelow}</p>}
          </>
        )}
        {p?.message && (
          <div className="thread">
            {p.message.thread?.root && (
              <div className="root">
                <p className="eyebrow">{t.inReplyTo}</p>
                <p>{p.message.thread.root}</p>
              </div>
            )}
            {p.message.thread && p.message.thread.replies.length > 1 ? (
              <ol className="replies" aria-label={t.thread}>
                {p.message.thread.replies.map((r) => (
                  <li key={r.locator} className={r.cited ? 'hl' : undefined}>
                    <p className="meta">
                      {r.author ?? ''} {r.date?.slice(0, 16).replace('T', ' ') ?? ''}
                    </p>
                    {r.cited ? <mark>{r.text}</mark> : <p>{r.text}</p>}
                  </li>
                ))}
              </ol>
            ) : (
              <div className="hl single">
                <mark>{p.message.text}</mark>
              </div>
            )}
          </div>
        )}
      </div>
    </aside>
  );
}
