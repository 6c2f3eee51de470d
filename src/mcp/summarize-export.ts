import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { parseTime } from '../cli/summarize-command';
import { UnderstudyError } from '../errors';
import { assertRenderedLinks } from '../summarize/links';
import { readFeishuExportHistory, readSlackExportHistory, type ExportHistory } from '../summarize/export-source';
import { renderSummary } from '../summarize/render';
import { summarize } from '../summarize/summarize';
import type { Summary } from '../summarize/types';

/** The arguments of the summarize_export tool (validated by its input schema). */
export interface SummarizeExportArgs {
  path?: string;
  content?: string;
  format?: 'slack' | 'feishu';
  channel?: string;
  since?: string;
  until?: string;
  thread?: string;
  lang?: 'zh' | 'en';
  max_days?: number;
  workspace_url?: string;
}

/** Inline exports over HTTP: what the request body may carry anyway (the transport caps the body). */
export const MAX_INLINE_EXPORT_CHARS = 8_000_000;

export interface SummarizeExportResult {
  text: string;
  summary: Summary;
  source: string;
  errors: ExportHistory['errors'];
  skipped: ExportHistory['skipped'];
}

/**
 * Summarise a Slack or Feishu export through the summarize feature. `path` (a Slack export folder
 * or .zip, a Feishu export .json) is read only for the operator over stdio: the server never opens
 * its own files for a remote caller. Anyone may send the export inline in `content`: a Feishu
 * export as JSON text, or a Slack export .zip encoded in base64.
 */
export async function summarizeExport(args: SummarizeExportArgs, opts: { operator: boolean; model?: BaseChatModel }): Promise<SummarizeExportResult> {
  if (args.path !== undefined && !opts.operator) {
    throw new UnderstudyError(
      'INPUT_INVALID',
      'path: file paths are read only over stdio (the operator\'s own machine); over HTTP the server does not open its files. Send the export inline in content: a Feishu export as JSON text, or a Slack export .zip in base64 with format "slack".',
      { details: { field: 'path' } },
    );
  }
  if ((args.path === undefined) === (args.content === undefined)) {
    throw new UnderstudyError('INPUT_INVALID', `${args.path === undefined ? 'path or content' : 'path and content'}: give exactly one of path (a Slack export folder or .zip, a Feishu export .json) or content (the export inline)`, { details: { field: 'path' } });
  }
  const since = args.since ? parseTime(args.since, 'since') : undefined;
  const until = args.until ? parseTime(args.until, 'until', true) : undefined;
  if (since !== undefined && until !== undefined && since > until) throw new UnderstudyError('INPUT_INVALID', 'since is after until', { details: { field: 'since' } });
  if (args.workspace_url && !/^https:\/\/[^\s/]+\/?$/.test(args.workspace_url)) {
    throw new UnderstudyError('INPUT_INVALID', `workspace_url must look like https://acme.slack.com, got "${args.workspace_url}"`, { details: { field: 'workspace_url' } });
  }
  const query = { channel: args.channel, since, until, thread: args.thread, workspaceUrl: args.workspace_url };

  let tmp: string | undefined;
  try {
    let file: string;
    let format: 'slack' | 'feishu';
    let label: string;
    if (args.path !== undefined) {
      file = path.resolve(args.path);
      if (!fs.existsSync(file)) throw new UnderstudyError('FILE_UNREADABLE', `path: no such file or folder: ${args.path}`, { details: { field: 'path' } });
      format = args.format ?? (fs.statSync(file).isDirectory() || file.toLowerCase().endsWith('.zip') ? 'slack' : 'feishu');
      label = args.path;
    } else {
      const content = args.content as string;
      format = args.format ?? (/^\s*[[{]/.test(content) ? 'feishu' : 'slack');
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'understudy-mcp-'));
      file = path.join(tmp, format === 'slack' ? 'export.zip' : 'export.json');
      if (format === 'slack') {
        const zip = Buffer.from(content.replace(/\s+/g, ''), 'base64');
        if (zip.length < 4 || zip.readUInt32LE(0) !== 0x04034b50) {
          throw new UnderstudyError('INPUT_INVALID', 'content: with format "slack", content must be a Slack export .zip encoded in base64', { details: { field: 'content' } });
        }
        fs.writeFileSync(file, zip, { mode: 0o600 });
      } else {
        fs.writeFileSync(file, content, { mode: 0o600 });
      }
      label = 'content';
    }
    if (format === 'slack' && !args.channel) throw new UnderstudyError('INPUT_INVALID', 'channel: the channel to summarise is needed for a Slack export', { details: { field: 'channel' } });
    let history: ExportHistory;
    try {
      history = format === 'slack' ? readSlackExportHistory(file, query) : readFeishuExportHistory(file, query);
    } catch (err) {
      // The temporary file's name means nothing to the caller: say "content" instead.
      if (tmp && err instanceof UnderstudyError) throw new UnderstudyError(err.code, err.message.split(file).join(label), { cause: err, details: err.details });
      throw err;
    }
    const asked = args.thread ? `thread ${args.thread}` : args.since && args.until ? `${args.since} to ${args.until}` : args.since ? `from ${args.since}` : args.until ? `up to ${args.until}` : 'the whole export';
    const summary = await summarize(history.messages, {
      lang: args.lang,
      channelName: history.channel.name,
      scope: args.thread ? 'thread' : 'channel',
      maxDays: args.max_days,
      asked,
      model: opts.model,
    });
    const text = renderSummary(summary, { format: 'text' });
    assertRenderedLinks(text, history.messages);
    const fix = (s: string): string => (tmp ? s.split(file).join(label) : s);
    const errors = history.errors.map((e) => ({ ...e, path: fix(e.path), message: fix(e.message) }));
    const skipped = history.skipped.map((s) => ({ ...s, path: fix(s.path) }));
    return { text, summary, source: label, errors, skipped };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
