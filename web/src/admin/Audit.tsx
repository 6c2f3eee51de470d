import { useEffect, useState, type FormEvent } from 'react';
import { get, type AuditEntry } from './api';
import { DataTable, ErrorNote, Loading, Page, when } from './ui';

interface AuditPage {
  entries: AuditEntry[];
  total: number;
  page: number;
  size: number;
  truncated?: boolean;
  limit: number;
}

interface Verification {
  ok: boolean;
  entries: number;
  brokenAt?: number;
  reason?: string;
  checkedAt: string;
}

const FILTERS = ['actor', 'action', 'avatar', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The badge: verified, or broken at an entry, after checking every hash of the chain on the server. */
export function ChainBadge() {
  const [v, setV] = useState<Verification>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const check = (): void => {
    setBusy(true);
    get<Verification>('/audit/verify').then(
      (r) => {
        setV(r);
        setError(undefined);
        setBusy(false);
      },
      (e: Error) => {
        setError(e.message);
        setBusy(false);
      },
    );
  };
  useEffect(check, []);
  return (
    <div className="chain row wrap" role="status" aria-live="polite">
      {busy && !v && <span className="badge">Checking the hash chain…</span>}
      {v && (
        <span className={`badge ${v.ok ? 'verified' : 'broken'}`} data-testid="chain-badge">
          {v.ok ? `✓ Chain verified (${v.entries} entries)` : `✗ Chain broken at entry ${v.brokenAt ?? '?'}`}
        </span>
      )}
      {v && !v.ok && v.reason && <span className="small">{v.reason}</span>}
      {v && <span className="muted small">checked {when(v.checkedAt)}</span>}
      <button type="button" className="secondary" onClick={check} disabled={busy}>
        Verify again
      </button>
      <ErrorNote error={error} />
    </div>
  );
}

const clip = (t: string, n: number): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

/** The facts of an entry in a line: long values clipped, lists counted (the whole entry is in the title). */
function detailText(d: Record<string, unknown> | undefined): string {
  if (!d) return '';
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => {
      if (Array.isArray(v)) return `${k}: ${v.length}${v.length ? ` (${clip(v.map(String).join(', '), 60)})` : ''}`;
      if (typeof v === 'number' && !Number.isInteger(v)) return `${k}: ${v.toFixed(3)}`;
      return `${k}: ${clip(typeof v === 'string' ? v : JSON.stringify(v), 100)}`;
    })
    .join(' · ');
}

export function Audit() {
  const initial = new URLSearchParams(window.location.search);
  const [filters, setFilters] = useState<Filters>(() => Object.fromEntries(FILTERS.map((f) => [f, initial.get(f) ?? ''])) as Filters);
  const [applied, setApplied] = useState<Filters>(filters);
  const [page, setPage] = useState(Number(initial.get('page')) || 1);
  const [data, setData] = useState<AuditPage>();
  const [error, setError] = useState<string>();
  const load = (): void => {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (applied[f]) q.set(f, applied[f]);
    q.set('page', String(page));
    window.history.replaceState(null, '', `/admin/audit?${q}`);
    q.set('size', '25');
    get<AuditPage>(`/audit?${q}`).then(
      (d) => {
        setData(d);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  };
  useEffect(load, [applied, page]);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setPage(1);
    setApplied({ ...filters });
  };
  const pages = data ? Math.max(1, Math.ceil(data.total / data.size)) : 1;
  return (
    <Page title="Audit log" intro="Every question, consent decision, pause, correction and rollback, newest first. Each entry is chained to the one before it by a keyed hash, so an edited or deleted entry breaks the chain.">
      <ChainBadge />
      <form className="filters card" onSubmit={submit} aria-label="Filter the audit log">
        {FILTERS.map((f) => (
          <div className="field" key={f}>
            <label htmlFor={`f-${f}`}>{f === 'from' ? 'From' : f === 'to' ? 'To' : f[0].toUpperCase() + f.slice(1)}</label>
            <input id={`f-${f}`} type={f === 'from' || f === 'to' ? 'date' : 'text'} value={filters[f]} onChange={(e) => setFilters({ ...filters, [f]: e.target.value })} placeholder={f === 'actor' ? 'slack:U123' : f === 'action' ? 'pause' : f === 'avatar' ? 'lao-zhang' : undefined} />
          </div>
        ))}
        <div className="row actions">
          <button type="submit">Filter</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              const empty = Object.fromEntries(FILTERS.map((f) => [f, ''])) as Filters;
              setFilters(empty);
              setPage(1);
              setApplied(empty);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={error} onRetry={load} />
      {!data && !error && <Loading what="the audit log" />}
      {data && (
        <>
          <p className="muted small" role="status">
            {data.total} matching entr{data.total === 1 ? 'y' : 'ies'}
            {data.truncated ? ` (searched the newest ${data.limit})` : ''}; page {data.page} of {pages}.
          </p>
          <DataTable label="Audit log entries" caption="Audit log entries" className="audit" columns={['#', 'When', 'Actor', 'Action', 'Avatar', 'Detail']}>
            {data.entries.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td className="nowrap">{when(e.at)}</td>
                <td>{e.actor}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.avatar ?? ''}</td>
                <td className="detail" title={e.detail ? JSON.stringify(e.detail) : undefined}>
                  {detailText(e.detail)}
                </td>
              </tr>
            ))}
          </DataTable>
          <nav className="row pager" aria-label="Audit log pages">
            <button type="button" className="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
              Newer
            </button>
            <span>
              Page {data.page} of {pages}
            </span>
            <button type="button" className="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
              Older
            </button>
          </nav>
        </>
      )}
    </Page>
  );
}
