import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readSlackExportHistory } from '../src/summarize/export-source';
import type { HistoryMessage } from '../src/summarize/message';
import { renderSummary } from '../src/summarize/render';
import { summarize } from '../src/summarize/summarize';
import { CORPORA, peakRss, requireCorpora, type Row } from './util';

const SIZES = [1_000, 10_000];
const EXPORTS = ['slack_export_r_contributors', 'slack_export_houstondatavis'];

/** Real messages of both exports, repeated with shifted times and ids until there are `n`, all within 90 days. */
function history(n: number): HistoryMessage[] {
  const real: HistoryMessage[] = [];
  for (const dir of EXPORTS) {
    const root = path.join(CORPORA, dir);
    const channels = (JSON.parse(fs.readFileSync(path.join(root, 'channels.json'), 'utf8')) as { name: string }[]).map((c) => c.name);
    for (const channel of channels.filter((c) => fs.existsSync(path.join(root, c)))) {
      real.push(...readSlackExportHistory(root, { channel, workspaceUrl: 'https://bench.slack.com' }).messages);
    }
  }
  const out: HistoryMessage[] = [];
  const start = Date.UTC(2024, 0, 1);
  const step = (80 * 86_400_000) / n;
  for (let i = 0; i < n; i++) {
    const m = real[i % real.length];
    const round = Math.floor(i / real.length);
    const suffix = round ? `-${round}` : '';
    out.push({ ...m, id: `${m.id}${suffix}`, threadId: m.threadId && `${m.threadId}${suffix}`, ts: start + i * step, link: `${m.link}${suffix ? `&r=${round}` : ''}` });
  }
  return out;
}

async function child(n: number): Promise<void> {
  const messages = history(n);
  global.gc?.();
  const rss = peakRss();
  const t = process.hrtime.bigint();
  const s = await summarize(messages, { channelName: 'bench' });
  const text = renderSummary(s);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, peakRssMb: rss.stop(), topics: s.topics.length, decisions: s.decisions.length, actions: s.actions.length, questions: s.questions.length, chars: text.length }));
}

/** Offline summaries of 1k and 10k messages, each in a fresh process so peak RSS is its own. Target: 10k under 5 s and 500 MB. */
export async function benchSummarize(): Promise<Row[]> {
  requireCorpora();
  const rows: Row[] = [];
  for (const n of SIZES) {
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, 'child', String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`summarize bench (${n} messages) failed: ${r.stderr}`);
    const x = JSON.parse(r.stdout) as { seconds: number; peakRssMb: number; topics: number; decisions: number; actions: number; questions: number };
    rows.push({ messages: n, seconds: Number(x.seconds.toFixed(2)), peak_rss_mb: x.peakRssMb, topics: x.topics, decisions: x.decisions, actions: x.actions, questions: x.questions, target: n === 10_000 ? '< 5 s, < 500 MB' : '' });
  }
  return rows;
}

if (require.main === module && process.argv[2] === 'child') {
  child(Number(process.argv[3])).catch((err: unknown) => {
    process.stderr.write(String((err as Error).stack ?? err));
    process.exit(1);
  });
}
