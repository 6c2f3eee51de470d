import { useEffect, useState, type FormEvent } from 'react';
import { get, post } from './api';
import { ErrorNote, Page } from './ui';

interface Methods {
  token: boolean;
  slack?: boolean;
  lark?: boolean;
}

/** Why a Slack or Feishu sign-in did not work (codes from the server, never text from the address). */
const REFUSALS: Record<string, string> = {
  expired: 'That sign-in expired or was started in another browser. Try again.',
  denied: 'The sign-in was cancelled on Slack or Feishu.',
  unconfirmed: 'Slack or Feishu did not confirm who you are. Try again.',
  'not-allowed': 'You are not an admin here, and no avatar here is of you.',
};

/** Paste ADMIN_TOKEN, or sign in with Slack or Feishu where the server offers it. */
export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [methods, setMethods] = useState<Methods>();
  const next = new URLSearchParams(window.location.search).get('next');
  const target = next && /^\/admin(\/[\w/-]*)?$/.test(next) && !next.startsWith('/admin/sign-in') ? next : '/admin';
  const oauthError = REFUSALS[new URLSearchParams(window.location.search).get('error') ?? ''];

  useEffect(() => {
    get<Methods>('/sign-in-methods').then(setMethods, (e: Error) => setError(e.message));
  }, []);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post('/sign-in', { token });
      window.location.assign(target);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <div className="sign-in">
      <Page title="Sign in to the admin console" intro="Avatars, consent, corrections, skill versions, the audit log and evals. Admins see every avatar; a colleague signed in with Slack or Feishu sees only their own.">
        {oauthError && <ErrorNote error={oauthError} />}
        {methods?.token !== false && (
          <form onSubmit={submit} className="card">
            <div className="field">
              <label htmlFor="token">Admin token</label>
              <input id="token" name="token" type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} required aria-describedby="token-help" />
              <p id="token-help" className="muted small">
                The value of <code>ADMIN_TOKEN</code> on the server.
              </p>
            </div>
            <button type="submit" disabled={busy || !token}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
        {methods && !methods.token && !methods.slack && !methods.lark && (
          <p className="note">
            No sign-in is configured. Set <code>ADMIN_TOKEN</code> (at least 16 characters) on the server, or Slack / Feishu sign-in, and restart.
          </p>
        )}
        {(methods?.slack || methods?.lark) && (
          <div className="card oauth">
            {methods.slack && (
              <a className="button secondary" href={`/admin/oauth/slack/start?next=${encodeURIComponent(target)}`}>
                Sign in with Slack
              </a>
            )}
            {methods.lark && (
              <a className="button secondary" href={`/admin/oauth/lark/start?next=${encodeURIComponent(target)}`}>
                Sign in with Feishu / Lark
              </a>
            )}
          </div>
        )}
        <ErrorNote error={error} />
      </Page>
    </div>
  );
}
