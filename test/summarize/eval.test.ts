import { runSummaryEval } from '../../src/summarize/eval';
import { CORPORA, corpus, describeCorpora } from '../helpers/corpora';

describeCorpora('summary eval on the real Slack exports', () => {
  it('links only fetched messages, represents the big threads and finds labelled decisions', async () => {
    corpus('slack_export_r_contributors');
    corpus('slack_export_houstondatavis');
    const r = await runSummaryEval({ corpora: CORPORA });
    expect(r.links).toBeGreaterThan(500);
    expect(r.linkValidity).toBe(1);
    expect(r.bigThreads).toBeGreaterThan(30);
    expect(r.bigThreadShare).toBeGreaterThanOrEqual(0.9);
    expect(r.decisions.all.labelled).toBe(249);
    expect(r.decisions.heldout.precision).toBeGreaterThanOrEqual(0.5);
    expect(r.decisions.all.recall).toBeGreaterThanOrEqual(0.6);
  });
});
