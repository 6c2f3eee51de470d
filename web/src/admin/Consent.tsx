import { DataTable, ErrorNote, Loading, Page, StatusBadge, when } from './ui';
import { useLoad } from './ui';

interface ConsentView {
  slug: string;
  name: string;
  nameEn: string | null;
  status: string;
  record: { basis: string; subject: string; approved_by: string; reason?: string; recorded_at: string; scope?: string; consent_id?: string } | null;
  requests: {
    id: string;
    basis: string;
    status: string;
    subject: { id: string; name?: string };
    requester: { id: string; name?: string };
    purpose: string;
    reason: string | null;
    createdAt: string;
    decidedAt: string | null;
    decidedBy: string | null;
  }[];
  evidence: { seq: number; at: string; actor: string; action: string; consent: string; hash: string }[];
}

const BASIS: Record<string, string> = { self: 'the person themselves', consent: 'the person’s approval', policy: 'company policy' };

export function Consent() {
  const { data, error, reload } = useLoad<ConsentView[]>('/consent');
  return (
    <Page title="Consent records" intro="Why each avatar exists and who approved it. The evidence is the audit log’s own entries for the approval, with their place in the hash chain.">
      <ErrorNote error={error} onRetry={reload} />
      {!data && !error && <Loading what="consent records" />}
      {data?.map((c) => (
        <section key={c.slug} className="card" aria-labelledby={`consent-${c.slug}`}>
          <header className="row between">
            <h2 id={`consent-${c.slug}`}>{c.nameEn && c.nameEn !== c.name ? `${c.nameEn} · ${c.name}` : c.name}</h2>
            <StatusBadge status={c.status} />
          </header>
          {c.record ? (
            <dl className="facts">
              <div>
                <dt>Basis</dt>
                <dd>{BASIS[c.record.basis] ?? c.record.basis}</dd>
              </div>
              <div>
                <dt>Approved by</dt>
                <dd>{c.record.approved_by}</dd>
              </div>
              <div>
                <dt>Recorded</dt>
                <dd>{when(c.record.recorded_at)}</dd>
              </div>
              {c.record.reason && (
                <div>
                  <dt>Reason</dt>
                  <dd>{c.record.reason}</dd>
                </div>
              )}
              {c.record.scope && (
                <div>
                  <dt>Scope</dt>
                  <dd>{c.record.scope}</dd>
                </div>
              )}
              {c.record.consent_id && (
                <div>
                  <dt>Record</dt>
                  <dd>
                    <code>{c.record.consent_id}</code>
                  </dd>
                </div>
              )}
            </dl>
          ) : (
            <p className="note error">No consent record in avatar.yaml: this avatar should not answer anyone.</p>
          )}
          {c.requests.length > 0 && (
            <>
              <h3>Requests</h3>
              <ul className="plain">
                {c.requests.map((r) => (
                  <li key={r.id}>
                    <code>{r.id}</code> · {r.basis} · <StatusBadge status={r.status} /> · asked by {r.requester.name ?? r.requester.id} on {when(r.createdAt)}
                    {r.decidedAt ? `; decided by ${r.decidedBy ?? '?'} on ${when(r.decidedAt)}` : ''}
                    {r.reason ? ` · ${r.reason}` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Evidence in the audit log</h3>
          {c.evidence.length === 0 ? (
            <p className="muted">No audit entries for this consent (recorded before the avatar was hosted here, or by hand in avatar.yaml).</p>
          ) : (
            <DataTable label={`Consent evidence of ${c.name}`} caption={`Audit entries about the consent of ${c.name}`} columns={['#', 'When', 'Who', 'What', 'Hash']}>
              {c.evidence.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{when(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>
                    <code title={e.hash}>{e.hash.slice(0, 12)}…</code>
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </section>
      ))}
    </Page>
  );
}
