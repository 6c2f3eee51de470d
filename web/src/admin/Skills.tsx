import { AlertDialog } from 'radix-ui';
import { diffLines } from 'diff';
import { useEffect, useState } from 'react';
import { get, post, type AvatarSummary, type Session } from './api';
import { AvatarPicker, ErrorNote, Loading, Page, useAvatarChoice, useLoad, when } from './ui';

interface Correction {
  id: number;
  text: string;
  proposedBy: string;
  at: string;
}

interface VersionMeta {
  version: number;
  createdAt: string;
  reason: string;
  by: string;
  evidence: number;
  changes: string[];
}

function Diff({ from, to }: { from: string; to: string }) {
  const parts = diffLines(from, to);
  if (parts.every((p) => !p.added && !p.removed)) return <p className="muted">No differences from the live skill.</p>;
  return (
    <pre className="diff" aria-label="Changes from this version to the live skill">
      {parts.map((p, i) => (
        <span key={i} className={p.added ? 'add' : p.removed ? 'del' : 'same'}>
          {p.value
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `${p.added ? '+ ' : p.removed ? '- ' : '  '}${l}`)
            .join('\n')}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function Corrections({ slug, canDecide, onDecided }: { slug: string; canDecide: boolean; onDecided: () => void }) {
  const { data, error, reload } = useLoad<Correction[]>(`/avatars/${slug}/corrections`);
  const [busy, setBusy] = useState<number>();
  const [note, setNote] = useState<string>();
  const [failed, setFailed] = useState<string>();
  const decide = async (id: number, verb: 'approve' | 'reject'): Promise<void> => {
    setBusy(id);
    setFailed(undefined);
    try {
      const r = await post<{ version: VersionMeta | null }>(`/avatars/${slug}/corrections/${id}/${verb}`);
      setNote(verb === 'approve' ? `Correction #${id} approved: the skill is now version ${r.version?.version}.` : `Correction #${id} rejected.`);
      reload();
      onDecided();
    } catch (e) {
      setFailed((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section className="card" aria-labelledby="corrections-h">
      <h2 id="corrections-h">Corrections waiting for approval</h2>
      <p className="muted small">“Not how they’d say it” feedback and /avatar correct. An approved correction goes into the skill’s Corrections section as a new version.</p>
      <ErrorNote error={error ?? failed} onRetry={error ? reload : undefined} />
      {note && (
        <p className="note ok" role="status">
          {note}
        </p>
      )}
      {!data && !error && <Loading what="corrections" />}
      {data?.length === 0 && <p className="muted">No corrections waiting.</p>}
      <ul className="plain corrections">
        {data?.map((c) => (
          <li key={c.id} className="correction">
            <p>
              <strong>#{c.id}</strong> <span className="quote">{c.text}</span>
            </p>
            <p className="muted small">
              from {c.proposedBy}, {when(c.at)}
            </p>
            {canDecide && (
              <div className="row actions">
                <button type="button" onClick={() => void decide(c.id, 'approve')} disabled={busy !== undefined} aria-label={`Approve correction #${c.id}`}>
                  Approve
                </button>
                <button type="button" className="secondary" onClick={() => void decide(c.id, 'reject')} disabled={busy !== undefined} aria-label={`Reject correction #${c.id}`}>
                  Reject
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Versions({ slug, canRollBack, refresh }: { slug: string; canRollBack: boolean; refresh: number }) {
  const [data, setData] = useState<{ versions: VersionMeta[]; live: string }>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<{ version: number; text: string }>();
  const [note, setNote] = useState<string>();
  const load = (): void => {
    get<{ versions: VersionMeta[]; live: string }>(`/avatars/${slug}/versions`).then(setData, (e: Error) => setError(e.message));
  };
  useEffect(load, [slug, refresh]);
  const show = async (version: number): Promise<void> => {
    try {
      setOpen(await get<{ version: number; text: string }>(`/avatars/${slug}/versions/${version}`));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const rollback = async (version: number): Promise<void> => {
    try {
      const r = await post<{ version: VersionMeta }>(`/avatars/${slug}/versions/${version}/rollback`);
      setNote(`Rolled back to version ${version}: the live skill is now version ${r.version.version}.`);
      setOpen(undefined);
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const latest = data?.versions[0]?.version;
  return (
    <section className="card" aria-labelledby="versions-h">
      <h2 id="versions-h">Skill versions</h2>
      <ErrorNote error={error} onRetry={load} />
      {note && (
        <p className="note ok" role="status">
          {note}
        </p>
      )}
      {!data && !error && <Loading what="versions" />}
      {data?.versions.length === 0 && <p className="muted">No saved versions: the skill was never distilled here.</p>}
      <ul className="plain versions">
        {data?.versions.map((v) => (
          <li key={v.version} className={open?.version === v.version ? 'selected' : ''}>
            <div className="row between wrap">
              <span>
                <strong>Version {v.version}</strong>
                {v.version === latest ? ' (live)' : ''} · {v.reason} by {v.by} · {when(v.createdAt)} · {v.evidence} evidence anchors
              </span>
              <span className="row actions">
                <button type="button" className="secondary" onClick={() => void show(v.version)} aria-label={`Diff version ${v.version} against the live skill`}>
                  Diff
                </button>
                {canRollBack && v.version !== latest && (
                  <AlertDialog.Root>
                    <AlertDialog.Trigger asChild>
                      <button type="button" className="secondary" aria-label={`Roll back to version ${v.version}`}>
                        Roll back
                      </button>
                    </AlertDialog.Trigger>
                    <AlertDialog.Portal>
                      <AlertDialog.Overlay className="overlay" />
                      <AlertDialog.Content className="dialog">
                        <AlertDialog.Title>Roll back to version {v.version}?</AlertDialog.Title>
                        <AlertDialog.Description>The skill of version {v.version} becomes the live skill, saved as a new version; nothing is deleted and the audit log records it.</AlertDialog.Description>
                        <div className="row actions end">
                          <AlertDialog.Cancel asChild>
                            <button type="button" className="secondary">
                              Cancel
                            </button>
                          </AlertDialog.Cancel>
                          <AlertDialog.Action asChild>
                            <button type="button" onClick={() => void rollback(v.version)}>
                              Roll back
                            </button>
                          </AlertDialog.Action>
                        </div>
                      </AlertDialog.Content>
                    </AlertDialog.Portal>
                  </AlertDialog.Root>
                )}
              </span>
            </div>
            {v.changes.length > 0 && <p className="muted small">{v.changes.join('; ')}</p>}
          </li>
        ))}
      </ul>
      {open && data && (
        <div className="diff-box">
          <h3>Version {open.version} → live skill</h3>
          <Diff from={open.text} to={data.live} />
        </div>
      )}
    </section>
  );
}

export function Skills({ session }: { session: Session }) {
  const avatars = useLoad<AvatarSummary[]>('/avatars');
  const [slug, choose] = useAvatarChoice(avatars.data);
  const [refresh, setRefresh] = useState(0);
  const a = avatars.data?.find((x) => x.slug === slug);
  const manage = Boolean(a) && (session.role === 'admin' || a?.personStatus !== 'departed') && a?.status !== 'revoked';
  return (
    <Page title="Corrections and skill versions" intro="Approve or reject corrections, compare saved versions of the skill with the live one, and roll back.">
      <ErrorNote error={avatars.error} onRetry={avatars.reload} />
      {avatars.data && <AvatarPicker avatars={avatars.data} value={slug} onChange={choose} />}
      {a && !manage && a.status !== 'revoked' && <p className="note">A departed colleague’s avatar is managed by an admin.</p>}
      {slug && <Corrections key={`c-${slug}`} slug={slug} canDecide={manage} onDecided={() => setRefresh((n) => n + 1)} />}
      {slug && <Versions key={`v-${slug}`} slug={slug} canRollBack={manage} refresh={refresh} />}
    </Page>
  );
}
