import { useEffect, useRef, useState } from 'react';
import { get, post, type AvatarSummary, type Session } from './api';
import { ErrorNote, Loading, Page, StatusBadge, pct, when } from './ui';

interface Job {
  state: 'waiting' | 'delayed' | 'active' | 'completed' | 'dead';
  progress: number | { phase?: string; done?: number; total?: number; item?: string };
  error?: string;
  result?: { totalChunks?: number; filesRead?: number; seconds?: number };
}

function progressText(job: Job): string {
  if (job.state === 'completed') return `Re-ingest finished: ${job.result?.totalChunks ?? '?'} chunks (${job.result?.filesRead ?? 0} files read) in ${job.result?.seconds?.toFixed?.(1) ?? '?'} s.`;
  if (job.state === 'dead') return `Re-ingest failed: ${job.error ?? 'unknown error'}`;
  if (job.state !== 'active') return 'Re-ingest queued…';
  const p = typeof job.progress === 'object' ? job.progress : undefined;
  return p?.phase ? `Re-ingesting: ${p.phase} ${p.done ?? 0}/${p.total ?? '?'}` : 'Re-ingesting…';
}

function fraction(job: Job): number | undefined {
  const p = typeof job.progress === 'object' ? job.progress : undefined;
  if (job.state === 'completed') return 1;
  return p?.total ? Math.min(1, (p.done ?? 0) / p.total) : undefined;
}

function AvatarCard({ a, session, onChanged }: { a: AvatarSummary; session: Session; onChanged: (next?: AvatarSummary) => void }) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [job, setJob] = useState<Job>();
  const timer = useRef<number>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const canManage = session.role === 'admin' || a.personStatus !== 'departed';

  const act = async (what: 'pause' | 'resume'): Promise<void> => {
    setBusy(what);
    setError(undefined);
    try {
      onChanged(await post<AvatarSummary>(`/avatars/${a.slug}/${what}`));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };

  const reingest = async (): Promise<void> => {
    setBusy('reingest');
    setError(undefined);
    try {
      const { job: id } = await post<{ job: string }>(`/avatars/${a.slug}/reingest`);
      const poll = async (): Promise<void> => {
        const j = await get<Job>(`/jobs/${encodeURIComponent(id)}`);
        setJob(j);
        if (j.state === 'completed' || j.state === 'dead') {
          setBusy(undefined);
          onChanged();
        } else timer.current = window.setTimeout(() => void poll().catch((e: Error) => setError(e.message)), 500);
      };
      await poll();
    } catch (e) {
      setError((e as Error).message);
      setBusy(undefined);
    }
  };

  const f = job ? fraction(job) : undefined;
  const headingId = `avatar-${a.slug}`;
  return (
    <article className="card avatar" aria-labelledby={headingId}>
      <header className="row between">
        <h2 id={headingId}>
          {a.nameEn && a.nameEn !== a.name ? `${a.nameEn} · ${a.name}` : a.name} <span className="muted small">@{a.handle}</span>
        </h2>
        <StatusBadge status={a.status} />
      </header>
      <p className="muted">
        {a.title}
        {a.team ? `, ${a.team}` : ''}
        {a.personStatus === 'departed' ? ' · former employee' : ''} · {a.languages.join(', ')}
      </p>
      <dl className="facts">
        <div>
          <dt>Corpus</dt>
          <dd>
            {a.corpus.sources} sources, {a.corpus.chunks} chunks
          </dd>
        </div>
        <div>
          <dt>Last ingest</dt>
          <dd>{when(a.lastIngest)}</dd>
        </div>
        <div>
          <dt>Skill</dt>
          <dd>
            {a.skillVersion ? `version ${a.skillVersion}` : 'not distilled'}
            {a.pendingCorrections ? ` · ${a.pendingCorrections} correction${a.pendingCorrections > 1 ? 's' : ''} waiting` : ''}
          </dd>
        </div>
        <div>
          <dt>Questions</dt>
          <dd>{a.questions}</dd>
        </div>
        <div>
          <dt>Feedback</dt>
          <dd>
            {a.feedback.up} helpful · {a.feedback.down} not helpful · {a.feedback.correction} “not how they’d say it” ({a.feedback.ratio === null ? 'no ratings' : `${pct(a.feedback.ratio)} positive`})
          </dd>
        </div>
        <div>
          <dt>Visibility</dt>
          <dd>
            default {a.visibility.default}
            {a.visibility.rules.map((r) => (
              <span key={r.path} className="chip">
                {r.path} → {r.visibility}
                {r.audience?.length ? ` (${r.audience.join(', ')})` : ''}
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>Access</dt>
          <dd>
            {a.access.users.length + a.access.groups.length + a.access.channels.length === 0
              ? 'whole workspace'
              : [...a.access.users, ...a.access.groups.map((g) => `group ${g}`), ...a.access.channels.map((c) => `#${c}`)].join(', ')}
            ; in DMs: {a.access.dm_visibility.join(', ')}
          </dd>
        </div>
        <div>
          <dt>Who asked</dt>
          <dd>{a.askers.length ? a.askers.map((x) => `${x.actor} (${x.count})`).join(', ') : 'nobody yet'}</dd>
        </div>
      </dl>
      {canManage && a.status !== 'revoked' && (
        <div className="row actions">
          {a.status === 'active' ? (
            <button type="button" className="secondary" onClick={() => void act('pause')} disabled={Boolean(busy)}>
              {busy === 'pause' ? 'Pausing…' : 'Pause'}
            </button>
          ) : (
            <button type="button" onClick={() => void act('resume')} disabled={Boolean(busy)}>
              {busy === 'resume' ? 'Resuming…' : 'Resume'}
            </button>
          )}
          <button type="button" className="secondary" onClick={() => void reingest()} disabled={Boolean(busy) || a.status !== 'active'}>
            {busy === 'reingest' ? 'Re-ingesting…' : 'Re-ingest'}
          </button>
        </div>
      )}
      {job && (
        <div className="progress" role="status" aria-live="polite">
          {f !== undefined && <progress max={1} value={f} aria-label={`Re-ingest progress of ${a.nameEn ?? a.name}`} />}
          <span>{progressText(job)}</span>
        </div>
      )}
      <ErrorNote error={error} />
    </article>
  );
}

export function Avatars({ session }: { session: Session }) {
  const [avatars, setAvatars] = useState<AvatarSummary[]>();
  const [error, setError] = useState<string>();
  const load = (): void => {
    get<AvatarSummary[]>('/avatars').then(
      (a) => {
        setAvatars(a);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  };
  useEffect(load, []);
  return (
    <Page title="Avatars" intro={session.role === 'admin' ? 'Every avatar hosted here. Pause stops it answering anyone; every action is recorded in the audit log.' : 'Your avatar. Pause stops it answering anyone; every action is recorded in the audit log.'}>
      <ErrorNote error={error} onRetry={load} />
      {!avatars && !error && <Loading what="avatars" />}
      {avatars?.length === 0 && <p className="note">No avatars to show.</p>}
      <div className="grid">
        {avatars?.map((a) => (
          <AvatarCard key={a.slug} a={a} session={session} onChanged={(next) => (next ? setAvatars((list) => list?.map((x) => (x.slug === next.slug ? next : x))) : load())} />
        ))}
      </div>
    </Page>
  );
}
