import fs from 'node:fs';
import path from 'node:path';
import { UnderstudyError } from '../errors';
import { detectDecision } from './detect';
import { readSlackExportHistory } from './export-source';
import { allCites, linksIn } from './links';
import { DAY_MS, sortMessages, threadKey, type HistoryMessage } from './message';
import { renderSummary } from './render';
import { summarize } from './summarize';

/** The exports the eval reads, with the workspace URL their permalinks are built on. */
export const EVAL_EXPORTS = [
  { dir: 'slack_export_r_contributors', workspaceUrl: 'https://r-contributors.slack.com' },
  { dir: 'slack_export_houstondatavis', workspaceUrl: 'https://houstondatavis.slack.com' },
];

/** Summaries are made the way people ask for them: by default one per channel per 30 days. */
const WINDOW_DAYS = 30;
const BIG_THREAD = 5;

export const REPO_ROOT = path.resolve(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');
export const DEFAULT_CORPORA = path.resolve(REPO_ROOT, '..', 'shared', 'corpora');
export const DECISION_LABELS = path.join(REPO_ROOT, 'eval', 'summarize', 'decision-labels.json');

/** A message labelled by hand: whether it states a decision. `dev` labels were read while writing the rules; `heldout` ones after. */
export interface DecisionLabel {
  set: 'dev' | 'heldout';
  export: string;
  channel: string;
  ts: string;
  decision: boolean;
  /** Why, in our words. */
  note?: string;
}

export interface DecisionScore {
  labelled: number;
  positives: number;
  found: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** Labelled decisions that a channel summary lists. */
  shownInSummaries: number;
}

const score = (): DecisionScore => ({ labelled: 0, positives: 0, found: 0, truePositives: 0, precision: 0, recall: 0, shownInSummaries: 0 });

export interface SummaryEvalResult {
  summaries: number;
  threadSummaries: number;
  messages: number;
  links: number;
  validLinks: number;
  linkValidity: number;
  bigThreads: number;
  bigThreadsRepresented: number;
  bigThreadShare: number;
  decisions: Record<'dev' | 'heldout' | 'all', DecisionScore>;
  windowDays: number;
  perExport: { export: string; channels: number; summaries: number; links: number; validLinks: number; bigThreads: number; represented: number }[];
  seconds: number;
}

function channelsOf(exportDir: string): string[] {
  const list = JSON.parse(fs.readFileSync(path.join(exportDir, 'channels.json'), 'utf8')) as { name: string }[];
  return list.map((c) => c.name).filter((n) => fs.existsSync(path.join(exportDir, n)));
}

/** Consecutive windows of `days` over a channel's history, oldest first. */
export function timeWindows(messages: HistoryMessage[], days: number): HistoryMessage[][] {
  const out: HistoryMessage[][] = [];
  let cur: HistoryMessage[] = [];
  let start = messages[0]?.ts ?? 0;
  for (const m of messages) {
    if (m.ts - start >= days * DAY_MS) {
      if (cur.length) out.push(cur);
      cur = [];
      start = m.ts;
    }
    cur.push(m);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Summarise every channel of both exports in 30-day windows and every big thread on its own,
 * then measure: links that are permalinks of a message in the summarised range (must be all),
 * threads with 5+ replies that the window summary cites, and rule-found decisions against a
 * hand-labelled sample.
 */
export async function runSummaryEval(opts: { corpora?: string; labels?: string; windowDays?: number } = {}): Promise<SummaryEvalResult> {
  const started = Date.now();
  const windowDays = opts.windowDays ?? WINDOW_DAYS;
  const corpora = opts.corpora ?? DEFAULT_CORPORA;
  const r: SummaryEvalResult = {
    summaries: 0, threadSummaries: 0, messages: 0, links: 0, validLinks: 0, linkValidity: 0, bigThreads: 0, bigThreadsRepresented: 0, bigThreadShare: 0,
    decisions: { dev: score(), heldout: score(), all: score() },
    windowDays, perExport: [], seconds: 0,
  };
  const shownDecisions = new Set<string>();
  const byKey = new Map<string, HistoryMessage>();
  for (const ex of EVAL_EXPORTS) {
    const dir = path.join(corpora, ex.dir);
    if (!fs.existsSync(dir)) throw new UnderstudyError('FILE_UNREADABLE', `${dir} is missing: the summary eval reads the real Slack exports in ../shared/corpora`);
    const row = { export: ex.dir, channels: 0, summaries: 0, links: 0, validLinks: 0, bigThreads: 0, represented: 0 };
    for (const channel of channelsOf(dir)) {
      const { messages: all } = readSlackExportHistory(dir, { channel, workspaceUrl: ex.workspaceUrl });
      const messages = sortMessages(all);
      if (messages.length === 0) continue;
      row.channels++;
      r.messages += messages.length;
      for (const m of messages) byKey.set(`${ex.dir}/${channel}/${m.id}`, m);
      const check = async (range: HistoryMessage[], scope: 'channel' | 'thread'): Promise<Set<string>> => {
        const summary = await summarize(range, { channelName: channel, scope, maxDays: windowDays + 1 });
        const valid = new Set(range.map((m) => m.link));
        const links = linksIn(renderSummary(summary));
        row.links += links.length;
        row.validLinks += links.filter((l) => valid.has(l)).length;
        row.summaries++;
        if (scope === 'thread') r.threadSummaries++;
        for (const d of summary.decisions) shownDecisions.add(`${ex.dir}/${channel}/${d.cite.id}`);
        const byId = new Map(range.map((m) => [m.id, m]));
        return new Set(allCites(summary).map((c) => threadKey(byId.get(c.id) as HistoryMessage)));
      };
      for (const win of timeWindows(messages, windowDays)) {
        const cited = await check(win, 'channel');
        const sizes = new Map<string, number>();
        for (const m of win) if (m.threadId) sizes.set(m.threadId, (sizes.get(m.threadId) ?? 0) + (m.id === m.threadId ? 0 : 1));
        for (const [t, n] of sizes) {
          if (n < BIG_THREAD || !win.some((m) => m.id === t)) continue;
          row.bigThreads++;
          if (cited.has(t)) row.represented++;
          await check(messages.filter((m) => threadKey(m) === t), 'thread');
        }
      }
    }
    r.perExport.push(row);
    r.summaries += row.summaries;
    r.links += row.links;
    r.validLinks += row.validLinks;
    r.bigThreads += row.bigThreads;
    r.bigThreadsRepresented += row.represented;
  }
  r.linkValidity = r.links ? r.validLinks / r.links : 1;
  r.bigThreadShare = r.bigThreads ? r.bigThreadsRepresented / r.bigThreads : 1;

  const labelsFile = opts.labels ?? DECISION_LABELS;
  const labels = JSON.parse(fs.readFileSync(labelsFile, 'utf8')) as DecisionLabel[];
  for (const l of labels) {
    const m = byKey.get(`${l.export}/${l.channel}/${l.ts}`);
    if (!m) throw new UnderstudyError('INPUT_INVALID', `${labelsFile}: labelled message ${l.export}/${l.channel}/${l.ts} is not in the export`);
    const found = Boolean(detectDecision(m.text));
    for (const d of [r.decisions[l.set], r.decisions.all]) {
      d.labelled++;
      if (l.decision) d.positives++;
      if (found) d.found++;
      if (found && l.decision) d.truePositives++;
      if (l.decision && shownDecisions.has(`${l.export}/${l.channel}/${l.ts}`)) d.shownInSummaries++;
    }
  }
  for (const d of Object.values(r.decisions)) {
    d.precision = d.found ? d.truePositives / d.found : 1;
    d.recall = d.positives ? d.truePositives / d.positives : 1;
  }
  r.seconds = (Date.now() - started) / 1000;
  return r;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function formatSummaryEval(r: SummaryEvalResult): string {
  const line = (name: string, d: DecisionScore): string =>
    `    ${name.padEnd(8)} ${d.labelled} messages, ${d.positives} decisions; rules found ${d.found}, ${d.truePositives} right: precision ${d.found ? pct(d.precision) : 'n/a'}, recall ${d.positives ? pct(d.recall) : 'n/a'}; ${d.shownInSummaries} listed in a channel summary`;
  return [
    `Summary eval: ${r.summaries} summaries (${r.threadSummaries} of single threads) over ${r.messages} messages in ${r.seconds.toFixed(1)} s`,
    `  link validity:            ${r.validLinks}/${r.links} = ${pct(r.linkValidity)}`,
    `  threads with ${BIG_THREAD}+ replies represented in their ${r.windowDays}-day channel summary: ${r.bigThreadsRepresented}/${r.bigThreads} = ${pct(r.bigThreadShare)}`,
    ...r.perExport.map((p) => `    ${p.export}: ${p.channels} channels, ${p.summaries} summaries, links ${p.validLinks}/${p.links}, big threads ${p.represented}/${p.bigThreads}`),
    '  decisions in the hand-labelled sample (eval/summarize/decision-labels.json):',
    line('dev', r.decisions.dev),
    line('held-out', r.decisions.heldout),
    line('all', r.decisions.all),
  ].join('\n');
}
