import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { get, type AvatarSummary } from './api';

/** Load JSON from the API; `reload` fetches it again. */
export function useLoad<T>(path: string | undefined): { data: T | undefined; error: string | undefined; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(Boolean(path));
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setLoading(true);
    get<T>(path).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: Error) => {
        if (!live) return;
        setError(e.message);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload };
}

export function ErrorNote({ error, onRetry }: { error: string | undefined; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="note error" role="alert">
      <span>{error}</span>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function Page({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Understudy admin`;
  }, [title]);
  return (
    <>
      <h1>{title}</h1>
      {intro && <p className="intro">{intro}</p>}
      {children}
    </>
  );
}

/** The avatar a page is about, remembered in the address (?avatar=slug). */
export function useAvatarChoice(avatars: AvatarSummary[] | undefined): [string | undefined, (slug: string) => void] {
  const fromUrl = new URLSearchParams(window.location.search).get('avatar') ?? undefined;
  const [slug, setSlug] = useState<string | undefined>(fromUrl);
  const chosen = avatars?.some((a) => a.slug === slug) ? slug : avatars?.find((a) => a.status !== 'revoked')?.slug ?? avatars?.[0]?.slug;
  const choose = (s: string): void => {
    setSlug(s);
    const url = new URL(window.location.href);
    url.searchParams.set('avatar', s);
    window.history.replaceState(null, '', url);
  };
  return [chosen, choose];
}

export function AvatarPicker({ avatars, value, onChange }: { avatars: AvatarSummary[]; value: string | undefined; onChange: (slug: string) => void }) {
  return (
    <div className="field inline">
      <label htmlFor="avatar-pick">Avatar</label>
      <select id="avatar-pick" value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        {avatars.map((a) => (
          <option key={a.slug} value={a.slug}>
            {a.nameEn ?? a.name} (@{a.handle}){a.status !== 'active' ? `, ${a.status}` : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

/** A table that may scroll sideways on a narrow screen: a labelled region the keyboard can reach. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

/** A table of records in its scrolling region: a caption for screen readers, one header row, the rows. */
export function DataTable({ label, caption, columns, className, children }: { label: string; caption: string; columns: readonly string[]; className?: string; children: ReactNode }) {
  return (
    <TableWrap label={label}>
      <table className={className}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </TableWrap>
  );
}
