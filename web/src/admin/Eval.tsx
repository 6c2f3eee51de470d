import { useState } from 'react';
import { post, type AvatarSummary, type EvalRun } from './api';
import { AvatarPicker, DataTable, ErrorNote, Loading, Page, pct, useAvatarChoice, useLoad, when } from './ui';

const SERIES: { key: 'recallAt5' | 'mrr' | 'abstention'; label: string; cls: string }[] = [
  { key: 'recallAt5', label: 'R@5', cls: 's1' },
  { key: 'mrr', label: 'MRR', cls: 's2' },
  { key: 'abstention', label: 'Abstention', cls: 's3' },
];

const runLabel = (r: EvalRun, i: number): string => `#${i + 1} ${r.skillVersion ? `v${r.skillVersion}` : 'no skill'}`;

/** R@5, MRR and abstention of every run, oldest to newest, as lines on one 0–100% scale. */
function Chart({ runs }: { runs: EvalRun[] }) {
  const W = 640;
  const H = 260;
  const pad = { l: 44, r: 12, t: 12, b: 40 };
  const x = (i: number): number => pad.l + (runs.length === 1 ? (W - pad.l - pad.r) / 2 : (i * (W - pad.l - pad.r)) / (runs.length - 1));
  const y = (v: number): number => pad.t + (1 - v) * (H - pad.t - pad.b);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title">
        <title id="chart-title">R@5, MRR and abstention over {runs.length} eval runs</title>
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <g key={t}>
            <line x1={pad.l} x2={W - pad.r} y1={y(t)} y2={y(t)} className="grid-line" />
            <text x={pad.l - 6} y={y(t) + 4} textAnchor="end" className="axis">
              {t * 100}%
            </text>
          </g>
        ))}
        {runs.map((r, i) => (
          <text key={r.at} x={x(i)} y={H - pad.b + 18} textAnchor={runs.length > 1 && i === 0 ? 'start' : runs.length > 1 && i === runs.length - 1 ? 'end' : 'middle'} className="axis">
            {runLabel(r, i)}
          </text>
        ))}
        {SERIES.map((s) => (
          <g key={s.key} className={s.cls}>
            <polyline fill="none" strokeWidth={2.5} points={runs.map((r, i) => `${x(i)},${y(r[s.key])}`).join(' ')} />
            {runs.map((r, i) => (
              <circle key={r.at} cx={x(i)} cy={y(r[s.key])} r={4} />
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="legend row wrap">
        {SERIES.map((s) => (
          <span key={s.key} className={`key ${s.cls}`}>
            <span className="swatch" aria-hidden="true" /> {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export function Eval() {
  const avatars = useLoad<AvatarSummary[]>('/avatars');
  const [slug, choose] = useAvatarChoice(avatars.data);
  const runs = useLoad<{ qa: string | null; runs: EvalRun[] }>(slug ? `/avatars/${slug}/eval` : undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await post(`/avatars/${slug}/eval`);
      runs.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const list = runs.data?.runs ?? [];
  return (
    <Page title="Eval" intro="Retrieval quality on the avatar’s QA set: recall of the right source in the top 5 (R@5), mean reciprocal rank (MRR), and abstention (unanswerable questions declined). Every run is kept, so a new skill version or index can be compared with the last.">
      <ErrorNote error={avatars.error} onRetry={avatars.reload} />
      {avatars.data && <AvatarPicker avatars={avatars.data} value={slug} onChange={choose} />}
      {slug && (
        <div className="row actions">
          <button type="button" onClick={() => void run()} disabled={busy || !runs.data?.qa}>
            {busy ? 'Running eval…' : 'Run eval'}
          </button>
          {runs.data && <span className="muted small">{runs.data.qa ? `QA set: ${runs.data.qa}` : 'No QA set for this avatar (add qa.jsonl to its folder).'}</span>}
        </div>
      )}
      {busy && (
        <p className="muted" role="status">
          Running every question of the QA set through retrieval…
        </p>
      )}
      <ErrorNote error={error ?? runs.error} />
      {slug && !runs.data && !runs.error && <Loading what="eval runs" />}
      {runs.data && list.length === 0 && <p className="muted">No runs yet.</p>}
      {list.length > 0 && (
        <section className="card" aria-labelledby="runs-h">
          <h2 id="runs-h">Runs</h2>
          <Chart runs={list} />
          <DataTable label="Eval runs" caption="Eval runs, oldest first" columns={['Run', 'When', 'Skill', 'Questions', 'R@5', 'MRR', 'Abstention', 'False abstention']}>
            {list.map((r, i) => (
              <tr key={r.at}>
                <td>#{i + 1}</td>
                <td className="nowrap">{when(r.at)}</td>
                <td>{r.skillVersion ? `v${r.skillVersion}` : '—'}</td>
                <td>{r.questions}</td>
                <td>{pct(r.recallAt5)}</td>
                <td>{r.mrr.toFixed(3)}</td>
                <td>{pct(r.abstention)}</td>
                <td>{pct(r.falseAbstention)}</td>
              </tr>
            ))}
          </DataTable>
        </section>
      )}
    </Page>
  );
}
