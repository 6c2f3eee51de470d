import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { loadJson, saveJson } from '../shared/storage';
import { ask, fetchPassage, HttpError, listAvatars, openConversation, sendFeedback, type AskEvent, type AvatarInfo, type Citation } from './api';
import { loadConversations, newId, saveConversations, type ChatMessage, type Conversation } from './conversations';
import { lang, t } from './i18n';
import { Message } from './Message';
import { PassagePanel, type PanelState } from './PassagePanel';

const AVATAR_KEY = 'understudy.avatar';

function displayName(a: AvatarInfo): string {
  return lang === 'en' && a.nameEn && a.nameEn !== a.name ? `${a.nameEn} (${a.name})` : a.name;
}

function statusText(a: AvatarInfo): string {
  return a.status === 'paused' ? t.statusPaused : a.status === 'revoked' ? t.statusRevoked : t.statusActive;
}

export function App() {
  const [avatars, setAvatars] = useState<AvatarInfo[]>();
  const [loadError, setLoadError] = useState<string>();
  const [slug, setSlug] = useState<string>(() => loadJson<string>(AVATAR_KEY, ''));
  const [conversations, setConversations] = useState<Conversation[]>(loadConversations);
  const [activeId, setActiveId] = useState<string>();
  const [panel, setPanel] = useState<PanelState>();
  const [menuOpen, setMenuOpen] = useState(false);
  const [draft, setDraft] = useState('');
  // The latest conversations for async work (a stream outlives many renders).
  const latest = useRef(conversations);
  latest.current = conversations;
  const listRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    listAvatars()
      .then((list) => {
        setAvatars(list);
        setSlug((s) => (list.some((a) => a.slug === s) ? s : (list.find((a) => a.status === 'active') ?? list[0])?.slug ?? ''));
      })
      .catch((err: unknown) => setLoadError(err instanceof HttpError && err.status === 401 ? t.needToken : t.loadFailed));
  }, []);

  useEffect(() => saveConversations(conversations), [conversations]);
  useEffect(() => saveJson(AVATAR_KEY, slug), [slug]);

  const avatar = avatars?.find((a) => a.slug === slug);
  const mine = useMemo(() => conversations.filter((c) => c.avatar === slug).sort((a, b) => b.updated - a.updated), [conversations, slug]);
  const active = mine.find((c) => c.id === activeId) ?? (activeId === undefined ? mine[0] : undefined);
  const pending = active?.messages.some((m) => m.state === 'thinking' || m.state === 'streaming') ?? false;

  // A new question scrolls to the top of itself, so a long answer is read from its start; opening
  // a conversation shows its end.
  const count = active?.messages.length ?? 0;
  const shownId = useRef<string | undefined>(undefined);
  useEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const users = el.querySelectorAll('.msg.user');
    const last = users[users.length - 1];
    if (shownId.current === active?.id && last) last.scrollIntoView({ block: 'start' });
    else el.scrollTop = el.scrollHeight;
    shownId.current = active?.id;
  }, [count, active?.id]);

  const patchConversation = useCallback((id: string, fn: (c: Conversation) => Conversation) => {
    setConversations((list) => list.map((c) => (c.id === id ? fn(c) : c)));
  }, []);
  const patchMessage = useCallback(
    (convId: string, msgId: string, patch: Partial<ChatMessage> | ((m: ChatMessage) => Partial<ChatMessage>)) =>
      patchConversation(convId, (c) => ({ ...c, updated: Date.now(), messages: c.messages.map((m) => (m.id === msgId ? { ...m, ...(typeof patch === 'function' ? patch(m) : patch) } : m)) })),
    [patchConversation],
  );

  /** The server's id for a conversation, opened when it has none (or when the server forgot it). */
  const serverId = useCallback(
    async (convId: string, fresh = false): Promise<string> => {
      const known = latest.current.find((c) => c.id === convId)?.server;
      if (known && !fresh) return known;
      const id = await openConversation();
      patchConversation(convId, (c) => ({ ...c, server: id }));
      latest.current = latest.current.map((c) => (c.id === convId ? { ...c, server: id } : c));
      return id;
    },
    [patchConversation],
  );

  /** A message added to a conversation right after another (a meeting's further answers and notices). */
  const insertAfter = useCallback(
    (convId: string, afterId: string, m: ChatMessage) =>
      patchConversation(convId, (c) => {
        const at = c.messages.findIndex((x) => x.id === afterId);
        const messages = [...c.messages];
        messages.splice(at < 0 ? messages.length : at + 1, 0, m);
        return { ...c, updated: Date.now(), messages };
      }),
    [patchConversation],
  );

  const run = useCallback(
    async (convId: string, msgId: string, question: string) => {
      const conv = latest.current.find((c) => c.id === convId);
      if (!conv) return;
      // Each message the server shows (`ref`) is a message here, in the order they come: one
      // answer usually; for a /meeting the header, each avatar's answer, then the synthesis. The
      // first takes the placeholder, the others follow it.
      const slots = new Map<string, string>();
      const shown: string[] = [];
      let gotAnswer = false;
      const slot = (ref: string | undefined): string => {
        const key = ref ?? '';
        const known = slots.get(key);
        if (known) return known;
        const id = shown.length === 0 ? msgId : newId();
        if (id !== msgId) insertAfter(convId, shown[shown.length - 1], { id, role: 'avatar', text: '', state: 'thinking', question });
        slots.set(key, id);
        shown.push(id);
        return id;
      };
      const onEvent = (e: AskEvent) => {
        if (e.kind === 'status') patchMessage(convId, slot(e.ref), { role: 'avatar', status: e.text, state: 'thinking' });
        else if (e.kind === 'draft') patchMessage(convId, slot(e.ref), { role: 'avatar', text: e.text, state: 'streaming' });
        else if (e.kind === 'answer') {
          gotAnswer = true;
          patchMessage(convId, slot(e.ref), { role: 'avatar', answer: e.answer, ref: e.ref, text: e.answer.text, state: 'done', status: undefined });
        } else if (e.kind === 'notice') {
          // A notice without a ref (an older server, the rate limit) adds to the one before it.
          patchMessage(convId, slot(e.ref), (m) => ({ role: 'notice', state: 'streaming', text: e.ref || !m.text || m.role !== 'notice' ? e.text : `${m.text}\n${e.text}` }));
        } else patchMessage(convId, shown.length ? shown[shown.length - 1] : slot(undefined), { role: 'avatar', state: 'error', error: e.message });
      };
      const settle = () => {
        for (const id of shown) patchMessage(convId, id, (m) => (m.role === 'notice' ? { state: 'done' } : {}));
      };
      const attempt = async (fresh: boolean) => ask({ avatar: conv.avatar, question, conversation: await serverId(convId, fresh) }, onEvent);
      try {
        try {
          await attempt(false);
        } catch (err) {
          // The server restarted or the session expired: continue in a new server conversation.
          if (!(err instanceof HttpError && err.status === 403)) throw err;
          await attempt(true);
        }
        settle();
        // Nothing at all: the connection said nothing before it was done.
        if (!gotAnswer && shown.length === 0) patchMessage(convId, msgId, { state: 'error', error: t.networkError });
      } catch (err) {
        settle();
        const message = err instanceof HttpError ? (err.status === 401 ? t.needToken : err.message) : t.networkError;
        const last = shown.length ? shown[shown.length - 1] : msgId;
        const lastMsg = latest.current.find((c) => c.id === convId)?.messages.find((m) => m.id === last);
        // An answer already shown stays; the failure comes after it.
        if (lastMsg?.state === 'done') insertAfter(convId, last, { id: newId(), role: 'avatar', text: '', state: 'error', error: message, question });
        else patchMessage(convId, last, { role: 'avatar', state: 'error', error: message });
      }
    },
    [patchMessage, serverId, insertAfter],
  );

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    const question = draft.trim();
    if (!question || !avatar || pending || avatar.status !== 'active') return;
    let conv = active;
    if (!conv) {
      conv = { id: newId(), avatar: avatar.slug, title: '', updated: Date.now(), messages: [] };
      const created = conv;
      setConversations((list) => [created, ...list]);
      latest.current = [created, ...latest.current];
      setActiveId(created.id);
    }
    const userMsg: ChatMessage = { id: newId(), role: 'user', text: question };
    const answerMsg: ChatMessage = { id: newId(), role: 'avatar', text: '', state: 'thinking', question };
    const convId = conv.id;
    const add = (c: Conversation): Conversation => ({ ...c, title: c.title || question.slice(0, 80), updated: Date.now(), messages: [...c.messages, userMsg, answerMsg] });
    setConversations((list) => list.map((c) => (c.id === convId ? add(c) : c)));
    latest.current = latest.current.map((c) => (c.id === convId ? add(c) : c));
    setDraft('');
    void run(convId, answerMsg.id, question);
  };

  const retry = (convId: string, m: ChatMessage) => {
    if (!m.question) return;
    patchMessage(convId, m.id, { state: 'thinking', error: undefined, text: '', status: undefined, notices: undefined });
    void run(convId, m.id, m.question);
  };

  const feedback = async (conv: Conversation, m: ChatMessage, kind: 'up' | 'down' | 'correction', text?: string) => {
    const server = await serverId(conv.id);
    const r = await sendFeedback({ avatar: conv.avatar, conversation: server, kind, ref: m.ref, text, lang: m.answer?.lang });
    patchMessage(conv.id, m.id, { feedback: { kind, text: r.text } });
  };

  const openCitation = (conv: Conversation, c: Citation) => {
    setPanel({ citation: c });
    fetchPassage(conv.avatar, c).then(
      (r) => setPanel((p) => (p?.citation === c ? { citation: c, passage: r.passage } : p)),
      (err: unknown) => setPanel((p) => (p?.citation === c ? { citation: c, error: `${t.passageMissing}${err instanceof HttpError ? ` (${err.message})` : ''}` } : p)),
    );
  };
  const closePanel = useCallback(() => setPanel(undefined), []);

  const newConversation = () => {
    setActiveId('');
    setMenuOpen(false);
    setPanel(undefined);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) send(e as unknown as FormEvent);
  };

  return (
    <div className={`app${panel ? ' with-panel' : ''}`}>
      <nav className={`sidebar${menuOpen ? ' open' : ''}`} aria-label={t.menu} id="sidebar">
        <div className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>{t.appName}</span>
          <button type="button" className="ghost only-mobile" onClick={() => setMenuOpen(false)} aria-label={t.closeMenu}>
            ✕
          </button>
        </div>
        <h2 className="side-title">{t.avatars}</h2>
        {loadError && <p role="alert" className="error-text">{loadError}</p>}
        <ul className="avatar-list">
          {avatars?.map((a) => (
            <li key={a.slug}>
              <button
                type="button"
                className={`avatar-item${a.slug === slug ? ' selected' : ''}`}
                aria-pressed={a.slug === slug}
                onClick={() => {
                  setSlug(a.slug);
                  setActiveId(undefined);
                  setPanel(undefined);
                  setMenuOpen(false);
                }}
              >
                <span className="avatar-name">{displayName(a)}</span>
                <span className="avatar-title">{[a.title, a.team].filter(Boolean).join(' · ')}</span>
                <span className="avatar-tags">
                  <span className={`tag status-${a.status}`}>{statusText(a)}</span>
                  {a.personStatus === 'departed' && <span className="tag">{t.departed}</span>}
                  {a.languages && <span className="tag" title={t.languages}>{a.languages.map((l) => (l === 'zh' ? '中文' : 'EN')).join(' / ')}</span>}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="side-head">
          <h2 className="side-title">{t.conversations}</h2>
          <button type="button" className="ghost small" onClick={newConversation}>
            + {t.newConversation}
          </button>
        </div>
        {mine.length === 0 ? (
          <p className="muted">{t.noConversations}</p>
        ) : (
          <ul className="conv-list">
            {mine.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  className={`conv-item${c.id === active?.id ? ' selected' : ''}`}
                  aria-current={c.id === active?.id ? 'true' : undefined}
                  onClick={() => {
                    setActiveId(c.id);
                    setMenuOpen(false);
                    setPanel(undefined);
                  }}
                >
                  {c.title || t.untitled}
                </button>
              </li>
            ))}
          </ul>
        )}
      </nav>
      {menuOpen && <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />}
      <main className="chat">
        <header className="chat-head">
          <button type="button" className="ghost only-mobile" onClick={() => setMenuOpen(true)} aria-expanded={menuOpen} aria-controls="sidebar">
            ☰ <span className="sr-only">{t.menu}</span>
          </button>
          <div className="who">
            <h1>{avatar ? displayName(avatar) : t.chooseAvatar}</h1>
            {avatar && <p className="muted">{[avatar.title, avatar.team].filter(Boolean).join(' · ')}</p>}
          </div>
          <button type="button" className="ghost small" onClick={newConversation}>
            + <span className="hide-narrow">{t.newConversation}</span>
            <span className="sr-only only-narrow">{t.newConversation}</span>
          </button>
        </header>
        {avatar && (
          <section className="disclosure" role="note" aria-label={t.disclosureTitle}>
            <strong>{avatar.label?.[lang] ?? t.disclosureTitle}</strong>
            <span>{avatar.disclosure?.[lang]}</span>
          </section>
        )}
        <ol className="messages" ref={listRef} aria-live="polite" aria-label={t.conversations} tabIndex={0}>
          {(!active || active.messages.length === 0) && avatar && (
            <li className="empty">
              <p className="empty-title">{t.emptyTitle(lang === 'en' ? (avatar.nameEn ?? avatar.name) : avatar.name)}</p>
              <p className="muted">{t.emptyHint}</p>
            </li>
          )}
          {active?.messages.map((m) => (
            <Message
              key={m.id}
              message={m}
              onCite={(c) => openCitation(active, c)}
              onRetry={() => retry(active.id, m)}
              onFeedback={(kind, text) => feedback(active, m, kind, text)}
            />
          ))}
        </ol>
        <form className="composer" onSubmit={send}>
          {avatar && avatar.status !== 'active' && <p className="error-text">{t.unavailable}</p>}
          <label htmlFor="question" className="sr-only">
            {t.questionLabel}
          </label>
          <textarea
            id="question"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder={t.placeholder}
            rows={1}
            maxLength={20000}
            disabled={!avatar || avatar.status !== 'active'}
          />
          <button type="submit" className="primary" disabled={!draft.trim() || pending || !avatar || avatar.status !== 'active'}>
            {t.send}
          </button>
        </form>
      </main>
      {panel && <PassagePanel state={panel} onClose={closePanel} />}
    </div>
  );
}
