import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { readFeishuExportHistory, readSlackExportHistory } from '../../src/summarize/export-source';
import { linksIn } from '../../src/summarize/links';
import { renderSummary } from '../../src/summarize/render';
import { summarize } from '../../src/summarize/summarize';
import { corpus, describeCorpora, itCorpora } from '../helpers/corpora';
import { tmpDir, write } from '../helpers/fixtures';

const R = 'slack_export_r_contributors';
const HOUSTON = 'slack_export_houstondatavis';

/** Copy an export into a temp folder (never into the repository) so a test can break a file. */
function copyExport(rel: string): string {
  const dst = tmpDir('summarize-export-');
  fs.cpSync(corpus(rel), dst, { recursive: true });
  return dst;
}

describeCorpora('Slack export history', () => {
  it('reads a thread of the r-contributors export with permalinks and reply counts', () => {
    const h = readSlackExportHistory(corpus(R), { channel: 'core-dev-help', thread: '1612601741.002500', workspaceUrl: 'https://r-contributors.slack.com' });
    expect(h.errors).toEqual([]);
    const root = h.messages.find((m) => m.id === '1612601741.002500');
    expect(root).toMatchObject({ replyCount: 9, threadId: '1612601741.002500', link: 'https://r-contributors.slack.com/archives/C01ESS92UMN/p1612601741002500' });
    expect(h.messages.length).toBe(10);
    const reply = h.messages.find((m) => m.id !== root?.id);
    expect(reply?.link).toMatch(/\?thread_ts=1612601741\.002500&cid=C01ESS92UMN$/);
    expect(h.messages.every((m) => !/has joined the channel/.test(m.text))).toBe(true);
  });

  it('summarises a month of houstondatavis #general with every link a fetched message', async () => {
    const h = readSlackExportHistory(corpus(HOUSTON), { channel: '#general', since: Date.UTC(2015, 5, 1), until: Date.UTC(2015, 6, 1), workspaceUrl: 'https://houstondatavis.slack.com' });
    expect(h.messages.length).toBeGreaterThan(20);
    const s = await summarize(h.messages, { channelName: h.channel.name });
    const text = renderSummary(s);
    const links = linksIn(text);
    expect(links.length).toBeGreaterThan(2);
    const permalinks = new Set(h.messages.map((m) => m.link));
    for (const l of links) expect(permalinks).toContain(l);
  });

  it('skips a malformed day file and reports it with its position, the rest still read', () => {
    const dir = copyExport('slack_export_viewer_testarchive');
    const days = fs.readdirSync(path.join(dir, 'enrique')).sort();
    fs.writeFileSync(path.join(dir, 'enrique', days[0]), '[{"type": "message", "text": oops}]');
    const h = readSlackExportHistory(dir, { channel: 'enrique' });
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toMatchObject({ path: `enrique/${days[0]}`, position: 'line 1 column 30' });
    expect(h.messages.length).toBeGreaterThan(0);
  });

  it('reads the same export from a .zip', () => {
    const src = corpus('slack_export_viewer_testarchive');
    const files: Record<string, Uint8Array> = {};
    const walk = (d: string, rel: string): void => {
      for (const n of fs.readdirSync(d)) {
        const p = path.join(d, n);
        if (fs.statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
        else files[`testarchive/${rel}${n}`] = fs.readFileSync(p);
      }
    };
    walk(src, '');
    const zip = path.join(tmpDir('summarize-zip-'), 'export.zip');
    fs.writeFileSync(zip, zipSync(files));
    const fromZip = readSlackExportHistory(zip, { channel: 'traveling-sailor' });
    const fromDir = readSlackExportHistory(src, { channel: 'traveling-sailor' });
    expect(fromZip.messages.length).toBe(fromDir.messages.length);
    expect(fromZip.messages.length).toBeGreaterThan(0);
  });

  it('names the channels there are when the one asked for is not', () => {
    expect(() => readSlackExportHistory(corpus(R), { channel: 'core-dev-hlep' })).toThrow(/No channel "core-dev-hlep".*Did you mean core-dev-help/);
  });
});

describe('Feishu export history', () => {
  it('reads text and post messages, threads by root id, and people but not apps', () => {
    const file = write(
      tmpDir('summarize-feishu-'),
      'chat.json',
      JSON.stringify({
        chat: { chat_id: 'oc_1', name: '发布群', chat_type: 'group' },
        items: [
          { message_id: 'om_1', msg_type: 'text', create_time: '1715000000000', sender: { id: 'ou_a', sender_type: 'user', name: '张三' }, body: { content: JSON.stringify({ text: '周四发布还是周五？' }) } },
          { message_id: 'om_2', root_id: 'om_1', msg_type: 'text', create_time: '1715000060000', sender: { id: 'ou_b', sender_type: 'user', name: '李四' }, body: { content: JSON.stringify({ text: '那就这么定了，周四发布。' }) } },
          { message_id: 'om_3', msg_type: 'post', create_time: '1715000120000', sender: { id: 'ou_b', sender_type: 'user', name: '李四' }, body: { content: JSON.stringify({ title: '发布清单', content: [[{ tag: 'text', text: '我来准备回滚脚本' }]] }) } },
          { message_id: 'om_4', msg_type: 'text', create_time: '1715000180000', sender: { id: 'cli_x', sender_type: 'app' }, body: { content: JSON.stringify({ text: 'bot says hi' }) } },
          { message_id: 'om_5', msg_type: 'text', create_time: '1715000240000', sender: { id: 'ou_a', sender_type: 'user' }, body: { content: '{broken' } },
        ],
      }),
    );
    const h = readFeishuExportHistory(file, {});
    expect(h.channel).toMatchObject({ id: 'oc_1', name: '发布群' });
    expect(h.messages.map((m) => m.id)).toEqual(['om_1', 'om_2', 'om_3']);
    expect(h.messages[0]).toMatchObject({ threadId: 'om_1', replyCount: 1, userName: '张三' });
    expect(h.messages[1].threadId).toBe('om_1');
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0].position).toBe('items[4]');
  });

  itCorpora('reads a saved im.v1.message.list response from the official samples', () => {
    const h = readFeishuExportHistory(corpus('feishu_official_samples/api_responses/GetImV1MessagesResponseDto.json'), {});
    // Its only message is from an app: nothing a person said.
    expect(h.messages).toEqual([]);
  });
});

describe('broken Slack export zips', () => {
  it('says a file that is not a readable zip is not one, naming it, instead of failing inside', () => {
    const dir = tmpDir('summarize-badzip-');
    const good = zipSync({ 'channels.json': Buffer.from('[{"id":"C1","name":"general"}]'), 'users.json': Buffer.from('[]'), 'general/2026-01-01.json': Buffer.from('[]') });
    const truncated = path.join(dir, 'cut.zip');
    fs.writeFileSync(truncated, good.subarray(0, good.length - 30));
    const notZip = path.join(dir, 'notes.zip');
    fs.writeFileSync(notZip, 'these are notes, not an archive');
    for (const file of [truncated, notZip]) {
      expect(() => readSlackExportHistory(file, { channel: 'general' })).toThrow(expect.objectContaining({ code: 'PARSE_FAILED', message: expect.stringMatching(new RegExp(`${path.basename(file)}: not a readable Slack export zip`)) }));
    }
  });
});
