import type { Command } from 'commander';
import { createChatModel } from '../answer/llm';
import { loadConfig } from '../config/env';
import { UnderstudyError } from '../errors';
import { readFeishuExportHistory, readSlackExportHistory, type ExportHistory } from '../summarize/export-source';
import { DAY_MS } from '../summarize/message';
import { assertRenderedLinks } from '../summarize/links';
import { renderSummary } from '../summarize/render';
import { runSummaryEval, formatSummaryEval } from '../summarize/eval';
import { MAX_DAYS, summarize } from '../summarize/summarize';
import type { CliContext } from './context';
import { println } from './io';

/**
 * A time as given on the command line: `2021-02-06` (UTC day; the whole day for --until),
 * an ISO date-time, or a Slack ts.
 */
export function parseTime(v: string, option: string, endOfDay = false): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = Date.parse(`${v}T00:00:00Z`);
    if (Number.isFinite(t)) return endOfDay ? t + DAY_MS - 1 : t;
  }
  if (/^\d{9,10}(\.\d+)?$/.test(v)) return Math.floor(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isFinite(t) && /^\d{4}-\d{2}-\d{2}T/.test(v)) return t;
  throw new UnderstudyError('INPUT_INVALID', `${option} must be a date (2021-02-06), an ISO date-time or a Slack ts, got "${v}"`);
}

interface SummarizeFlags {
  slackExport?: string;
  feishuExport?: string;
  channel?: string;
  since?: string;
  until?: string;
  thread?: string;
  workspaceUrl?: string;
  lang?: string;
  maxDays?: string;
  offline?: boolean;
  json?: boolean;
}

function report(ctx: CliContext, h: ExportHistory): void {
  for (const e of h.errors) println(ctx.io.stderr, `skipped ${e.path}${e.position ? ` (${e.position})` : ''}: ${e.message}`);
  for (const s of h.skipped) println(ctx.io.stderr, `skipped ${s.path}: ${s.reason}`);
}

/** The range as the person asked for it, for the summary's coverage note. */
function askedRange(o: SummarizeFlags): string {
  if (o.thread) return `thread ${o.thread}`;
  if (o.since && o.until) return `${o.since} to ${o.until}`;
  if (o.since) return `from ${o.since}`;
  if (o.until) return `up to ${o.until}`;
  return 'the whole export';
}

/** `understudy summarize`: a channel or thread of an export, offline unless a model is configured. */
export function registerSummarizeCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('summarize')
    .description('summarise a channel or thread of a Slack or Feishu export: topics, decisions, action items, open questions, with links')
    .option('--slack-export <dir|zip>', 'a Slack export folder or .zip')
    .option('--feishu-export <file>', 'a Feishu export or saved im.v1.message.list response (JSON)')
    .option('--channel <name>', 'the channel to summarise (Slack export)')
    .option('--since <date>', 'from this date (2021-02-06), ISO date-time or Slack ts')
    .option('--until <date>', 'up to this date (inclusive)')
    .option('--thread <ts>', 'summarise one thread: its root ts (Slack) or root message id (Feishu)')
    .option('--workspace-url <url>', 'e.g. https://acme.slack.com, so every point links to its message')
    .option('--lang <lang>', 'output language zh or en (default: the channel\'s main language)')
    .option('--max-days <n>', 'keep only the last n days of the range (default: the whole range, however long)')
    .option('--offline', 'do not use the configured language model')
    .option('--json', 'print the summary as JSON')
    .action(async (o: SummarizeFlags) => {
      if (Boolean(o.slackExport) === Boolean(o.feishuExport)) throw new UnderstudyError('INPUT_INVALID', 'give one of --slack-export <dir|zip> or --feishu-export <file>');
      if (o.lang && o.lang !== 'zh' && o.lang !== 'en') throw new UnderstudyError('INPUT_INVALID', `--lang must be zh or en, got "${o.lang}"`);
      if (o.workspaceUrl && !/^https:\/\/[^\s/]+\/?$/.test(o.workspaceUrl)) throw new UnderstudyError('INPUT_INVALID', `--workspace-url must look like https://acme.slack.com, got "${o.workspaceUrl}"`);
      const maxDays = o.maxDays === undefined ? undefined : Number(o.maxDays);
      if (maxDays !== undefined && (!Number.isInteger(maxDays) || maxDays < 1)) throw new UnderstudyError('INPUT_INVALID', `--max-days must be a whole number of days, got "${o.maxDays}"`);
      if (o.slackExport && !o.channel) throw new UnderstudyError('INPUT_INVALID', '--channel <name> is needed with --slack-export');
      const query = {
        channel: o.channel,
        since: o.since ? parseTime(o.since, '--since') : undefined,
        until: o.until ? parseTime(o.until, '--until', true) : undefined,
        thread: o.thread,
        workspaceUrl: o.workspaceUrl,
      };
      if (query.since !== undefined && query.until !== undefined && query.since > query.until) throw new UnderstudyError('INPUT_INVALID', '--since is after --until');
      const history = o.slackExport ? readSlackExportHistory(o.slackExport, query) : readFeishuExportHistory(o.feishuExport as string, query);
      report(ctx, history);
      const config = o.offline ? undefined : loadConfig(io.env, {}, io.cwd);
      const model = config?.llm ? createChatModel(config.llm) : undefined;
      const summary = await summarize(history.messages, {
        lang: o.lang as 'zh' | 'en' | undefined,
        channelName: history.channel.name,
        scope: o.thread ? 'thread' : 'channel',
        maxDays,
        asked: askedRange(o),
        model,
        onProgress: (done, total) => io.stderr.write(`summarising window ${done}/${total}\n`),
      });
      if (o.json) {
        println(io.stdout, JSON.stringify({ summary, errors: history.errors, skipped: history.skipped }, null, 2));
        return;
      }
      const text = renderSummary(summary, { format: 'text' });
      assertRenderedLinks(text, history.messages);
      println(io.stdout, text);
    });

  program
    .command('summarize-eval')
    .description('measure summaries on the real Slack exports: link validity, big threads represented, decisions found in a hand-labelled sample')
    .option('--corpora <dir>', 'the shared corpora folder (default ../shared/corpora beside the checkout)')
    .option('--window-days <n>', 'days per channel summary (default 30)')
    .option('--json', 'print JSON')
    .action(async (o: { corpora?: string; windowDays?: string; json?: boolean }) => {
      const windowDays = o.windowDays === undefined ? undefined : Number(o.windowDays);
      if (windowDays !== undefined && (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > MAX_DAYS)) throw new UnderstudyError('INPUT_INVALID', `--window-days must be a whole number from 1 to ${MAX_DAYS}, got "${o.windowDays}"`);
      const result = await runSummaryEval({ corpora: o.corpora, windowDays });
      println(io.stdout, o.json ? JSON.stringify(result, null, 2) : formatSummaryEval(result));
    });
}
