import { useState, type FormEvent } from 'react';
import { chatCitationName } from '../../../src/answer/citation-name';
import type { Citation } from './api';
import type { ChatMessage } from './conversations';
import { t } from './i18n';
import { Markdown } from './Markdown';

interface Props {
  message: ChatMessage;
  onCite: (c: Citation) => void;
  onRetry: () => void;
  onFeedback: (kind: 'up' | 'down' | 'correction', text?: string) => Promise<void>;
}

export function Message({ message: m, onCite, onRetry, onFeedback }: Props) {
  if (m.role === 'user') {
    return (
      <li className="msg user">
        <span className="sr-only">{t.you}: </span>
        <p className="bubble">{m.text}</p>
      </li>
    );
  }
  if (m.role === 'notice') {
    return (
      <li className="msg notice" role="status">
        <Markdown text={m.text} citations={[]} />
      </li>
    );
  }
  return <AvatarMessage m={m} onCite={onCite} onRetry={onRetry} onFeedback={onFeedback} />;
}

function AvatarMessage({ m, onCite, onRetry, onFeedback }: { m: ChatMessage } & Omit<Props, 'message'>) {
  const a = m.answer;
  if (m.state === 'error') {
    return (
      <li className="msg avatar error" role="alert">
        <p className="error-title">{t.errorTitle}</p>
        <p>{m.error || t.networkError}</p>
        <button type="button" className="primary" onClick={onRetry}>
          {t.retry}
        </button>
      </li>
    );
  }
  if (!a) {
    return (
      <li className={`msg avatar ${m.state ?? 'thinking'}`} aria-busy="true">
        <p className="state-line">
          <span className="dots" aria-hidden="true" />
          {m.state === 'streaming' ? t.streaming : m.status || t.thinking}
        </p>
        {m.text && <Markdown text={m.text} citations={[]} />}
      </li>
    );
  }
  const offline = a.model === 'offline-extractive';
  const notices = m.notices?.length ? (
    <ul className="notices">
      {m.notices.map((n, i) => (
        <li key={i}>{n}</li>
      ))}
    </ul>
  ) : null;
  const cite = (n: number) => {
    const c = a.citations.find((x) => x.n === n);
    if (c) onCite(c);
  };
  return (
    <li className={`msg avatar done${a.grounded ? '' : ' no-material'}`}>
      {notices}
      <p className="answer-label">{a.disclosure || a.label}</p>
      <div className="badges">
        {!a.grounded && <span className="badge warn">{t.noMaterial}</span>}
        {a.grounded && a.confidence === 'low' && <span className="badge warn">{t.lowConfidence}</span>}
        {offline && <span className="badge">{t.offline}</span>}
      </div>
      <Markdown text={a.text} citations={a.citations.map((c) => c.n)} onCite={cite} />
      {a.citations.length > 0 && (
        <div className="citations">
          <h3 className="sr-only">{t.sources}</h3>
          <ul className="chips">
            {a.citations.map((c) => (
              <li key={c.n}>
                <button type="button" className="chip" onClick={() => onCite(c)} title={t.openSource(c.n, chatCitationName(c))}>
                  <span className="chip-n">{c.n}</span>
                  <span className="chip-name">{chatCitationName(c)}</span>
                  {chipPlace(c) && <span className="chip-loc">{chipPlace(c)}</span>}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <Feedback m={m} pronoun={a.pronoun} onFeedback={onFeedback} />
    </li>
  );
}

function Feedback({ m, pronoun, onFeedback }: { m: ChatMessage; pronoun?: string; onFeedback: Props['onFeedback'] }) {
  const [writing, setWriting] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  if (m.feedback) return <p className="feedback-done" role="status">{m.feedback.text}</p>;
  const give = async (kind: 'up' | 'down' | 'correction', body?: string) => {
    setBusy(true);
    setFailed(false);
    try {
      await onFeedback(kind, body);
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) void give('correction', text.trim());
  };
  const formId = `correction-${m.id}`;
  return (
    <div className="feedback">
      <div className="feedback-buttons">
        <button type="button" className="ghost" disabled={busy} onClick={() => void give('up')} aria-label={t.helpful} title={t.helpful}>
          <Thumb />
        </button>
        <button type="button" className="ghost" disabled={busy} onClick={() => void give('down')} aria-label={t.notHelpful} title={t.notHelpful}>
          <Thumb down />
        </button>
        <button type="button" className="ghost" disabled={busy} aria-expanded={writing} aria-controls={formId} onClick={() => setWriting(!writing)}>
          {t.notHowTheyWouldSay(pronoun)}
        </button>
      </div>
      {writing && (
        <form id={formId} className="correction" onSubmit={submit}>
          <label htmlFor={`${formId}-text`}>{t.correctionLabel}</label>
          <textarea id={`${formId}-text`} value={text} onChange={(e) => setText(e.target.value)} rows={3} maxLength={2000} />
          <div className="row">
            <button type="submit" className="primary" disabled={busy || !text.trim()}>
              {t.submit}
            </button>
            <button type="button" className="ghost" onClick={() => setWriting(false)}>
              {t.cancel}
            </button>
          </div>
        </form>
      )}
      {failed && <p role="alert" className="error-text">{t.feedbackFailed}</p>}
    </div>
  );
}

/** Where in the source: the line range of a document, the date of a message (its id says nothing to a reader). */
function chipPlace(c: Citation): string | undefined {
  return /^L\d+-L\d+$/.test(c.locator) ? c.locator : c.date?.slice(0, 10);
}

/** A thumb icon (emoji fonts are not everywhere). */
function Thumb({ down = false }: { down?: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false" className={down ? 'thumb down' : 'thumb'}>
      <path fill="currentColor" d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z" />
    </svg>
  );
}
