import { StrictMode, useEffect, useState, type MouseEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { get, post, setCsrf, type Session } from './api';
import { Audit } from './Audit';
import { Avatars } from './Avatars';
import { Consent } from './Consent';
import { Eval } from './Eval';
import { SignIn } from './SignIn';
import { Skills } from './Skills';
import { ErrorNote, Loading } from './ui';
import './styles.css';

const PAGES = [
  { path: '/admin', label: 'Avatars' },
  { path: '/admin/consent', label: 'Consent' },
  { path: '/admin/skills', label: 'Corrections & versions' },
  { path: '/admin/audit', label: 'Audit log' },
  { path: '/admin/eval', label: 'Eval' },
] as const;

type Theme = 'light' | 'dark' | 'system';

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('understudy-admin-theme') as Theme | null) ?? 'system');
  useEffect(() => {
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
    localStorage.setItem('understudy-admin-theme', theme);
  }, [theme]);
  const next = (): void => setTheme((t) => (t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system'));
  return [theme, next];
}

function current(): string {
  const p = window.location.pathname.replace(/\/+$/, '');
  return p || '/admin';
}

function Console({ session }: { session: Session }) {
  const [path, setPath] = useState(current());
  const [theme, nextTheme] = useTheme();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const onPop = (): void => setPath(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (e: MouseEvent<HTMLAnchorElement>, to: string): void => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    window.history.pushState(null, '', to);
    setPath(to);
    document.getElementById('main')?.focus();
  };
  const signOut = async (): Promise<void> => {
    try {
      await post('/sign-out');
      window.location.assign('/admin/sign-in');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="row between wrap">
          <p className="brand">
            Understudy <span className="muted">admin</span>
          </p>
          <div className="row who">
            <span className="small" title={session.actor}>
              {session.name} · {session.role === 'admin' ? 'admin' : 'your avatar only'}
            </span>
            <button type="button" className="secondary small" onClick={nextTheme} title="Switch between automatic, dark and light">
              Theme: {theme === 'dark' ? 'dark' : theme === 'light' ? 'light' : 'auto'}
            </button>
            <button type="button" className="secondary small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Console">
          <ul className="tabs">
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={p.path} aria-current={p.path === page.path ? 'page' : undefined} onClick={(e) => go(e, p.path)}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={error} />
        {page.path === '/admin' && <Avatars session={session} />}
        {page.path === '/admin/consent' && <Consent />}
        {page.path === '/admin/skills' && <Skills session={session} />}
        {page.path === '/admin/audit' && <Audit />}
        {page.path === '/admin/eval' && <Eval />}
      </main>
    </>
  );
}

function App() {
  const signingIn = current() === '/admin/sign-in';
  const [session, setSession] = useState<Session>();
  const [error, setError] = useState<string>();
  useTheme();
  useEffect(() => {
    if (signingIn) return;
    get<Session>('/session').then(
      (s) => {
        setCsrf(s.csrf);
        setSession(s);
      },
      (e: Error) => setError(e.message),
    );
  }, [signingIn]);
  if (signingIn) {
    return (
      <main id="main" className="narrow">
        <SignIn />
      </main>
    );
  }
  if (!session) {
    return <main id="main">{error ? <ErrorNote error={error} onRetry={() => window.location.reload()} /> : <Loading what="your session" />}</main>;
  }
  return <Console session={session} />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
