import fs from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../../src/corpus/load';
import { asFeishuExport, feishuText } from '../../../src/corpus/loaders/feishu-export';
import { corpus, describeCorpora } from '../../helpers/corpora';
import { tmpDir, write } from '../../helpers/fixtures';

const item = (id: string, sender: string, content: unknown, extra: object = {}): object => ({
  message_id: id,
  msg_type: 'text',
  create_time: '1762826400000',
  sender: { id: sender, id_type: 'open_id', sender_type: 'user' },
  body: { content: typeof content === 'string' ? content : JSON.stringify(content) },
  ...extra,
});

const GROUP = {
  chat: { chat_id: 'oc_1', name: '支付平台组', chat_type: 'group' },
  users: { ou_lz: '张建国', ou_ly: '刘洋' },
  items: [
    item('om_1', 'ou_lz', { text: '@_user_1 先回滚再查原因' }, { mentions: [{ key: '@_user_1', id: 'ou_ly', name: '刘洋' }] }),
    item('om_2', 'ou_ly', { title: '复盘', content: [[{ tag: 'text', text: '连接池 ' }, { tag: 'a', text: '文档', href: 'https://wiki/x' }], [{ tag: 'at', user_id: 'ou_lz' }, { tag: 'text', text: ' 看一下' }]] }, { msg_type: 'post', root_id: 'om_1', parent_id: 'om_1' }),
    item('om_3', 'ou_ly', { image_key: 'img_1' }, { msg_type: 'image' }),
    item('om_4', 'ou_lz', '{not json'),
    item('om_5', 'cli_bot', { text: 'build ok' }, { sender: { id: 'cli_bot', sender_type: 'app' } }),
    item('om_6', 'ou_lz', { text: 'deleted' }, { deleted: true }),
  ],
};

describe('Feishu export loader', () => {
  it('parses text and post messages, resolves @_user_N and <at>, and gives the root as context', async () => {
    const root = tmpDir();
    write(root, 'chats/team.json', JSON.stringify(GROUP));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => u.text)).toEqual(['@刘洋 先回滚再查原因', '复盘\n连接池 文档 (https://wiki/x)\n@张建国 看一下']);
    expect(r.units[0]).toEqual({ source: 'chats/team.json', kind: 'feishu', text: '@刘洋 先回滚再查原因', locator: 'om_1', author: '张建国 (ou_lz)', date: '2025-11-11T02:00:00.000Z', title: '支付平台组' });
    expect(r.units[1]).toMatchObject({ locator: 'om_2', author: '刘洋 (ou_ly)', context: '张建国: @刘洋 先回滚再查原因' });
  });

  it('passes over images, bots and deleted messages, and reports broken content JSON by file and index', async () => {
    const root = tmpDir();
    write(root, 'chats/team.json', JSON.stringify(GROUP));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => u.locator)).toEqual(['om_1', 'om_2']);
    expect(r.skipped).toEqual([]);
    expect(r.errors).toEqual([{ path: 'chats/team.json', message: expect.stringMatching(/^chats\/team\.json: message 3 \(om_4\): malformed body\.content JSON: /), position: 'items[3]' }]);
  });

  it('keeps only the person\'s messages under the author filter, by name or open_id, with the root still as context', async () => {
    const root = tmpDir();
    write(root, 'team.json', JSON.stringify(GROUP));
    expect((await loadCorpus(root, { author: '张建国' })).units.map((u) => u.locator)).toEqual(['om_1']);
    const ly = await loadCorpus(root, { author: 'ou_ly' });
    expect(ly.units.map((u) => [u.locator, u.context])).toEqual([['om_2', '张建国: @刘洋 先回滚再查原因']]);
  });

  it('falls back to the message replied to when the thread root is not in the file', async () => {
    const root = tmpDir();
    const items = [
      item('om_p', 'ou_lz', { text: '今晚发布吗？' }, { root_id: 'om_gone', parent_id: 'om_gone' }),
      item('om_r', 'ou_ly', { text: '发，十点开始' }, { root_id: 'om_gone', parent_id: 'om_p' }),
    ];
    write(root, 'page2.json', JSON.stringify({ users: GROUP.users, items }));
    const r = await loadCorpus(root, { author: 'ou_ly' });
    expect(r.units.map((u) => [u.locator, u.context])).toEqual([['om_r', '张建国: 今晚发布吗？']]);
  });

  it('marks a p2p chat private to its participants', async () => {
    const root = tmpDir();
    write(root, 'dm.json', JSON.stringify({ chat: { chat_id: 'oc_dm', chat_type: 'p2p' }, items: [item('om_9', 'ou_a', { text: 'hi' }), item('om_10', 'ou_b', { text: 'hello' })] }));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.visibility, u.audience])).toEqual([
      ['private', ['lark:ou_a', 'lark:ou_b', 'lark:oc_dm']],
      ['private', ['lark:ou_a', 'lark:ou_b', 'lark:oc_dm']],
    ]);
  });

  it('accepts an Open API history page and a bare array, and learns names from senders and mentions', async () => {
    const root = tmpDir();
    const page = { code: 0, msg: 'success', data: { has_more: false, items: [item('om_a', 'ou_x', { text: 'ping @_user_1' }, { mentions: [{ key: '@_user_1', id: { open_id: 'ou_y' }, name: 'Tom' }] }), item('om_b', 'ou_y', { text: 'pong' })] } };
    write(root, 'page.json', JSON.stringify(page));
    write(root, 'bare.json', JSON.stringify([item('om_c', 'ou_z', { zh_cn: { title: '', content: [[{ tag: 'text', text: '按语言包装的 post' }]] } }, { msg_type: 'post', sender: { id: 'ou_z', sender_type: 'user', name: 'Zed' } })]));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.source, u.text, u.author])).toEqual([
      ['bare.json', '按语言包装的 post', 'Zed (ou_z)'],
      ['page.json', 'ping @Tom', 'ou_x'],
      ['page.json', 'pong', 'Tom (ou_y)'],
    ]);
  });

  it('recognises Feishu by content, an empty export included, and nothing else', () => {
    expect(asFeishuExport({ chat: { chat_id: 'oc' }, items: [] })).toEqual({ chat: { chat_id: 'oc' }, users: undefined, items: [] });
    expect(asFeishuExport({ items: [{ id: 1 }] })).toBeUndefined();
    expect(asFeishuExport([{ type: 'message', ts: '1' }])).toBeUndefined();
    expect(asFeishuExport({ some: 'settings' })).toBeUndefined();
  });

  it('returns no text for non-text types and throws for broken content', () => {
    expect(feishuText({ msg_type: 'sticker', body: { content: '{}' } }, () => undefined)).toBeUndefined();
    expect(() => feishuText({ msg_type: 'text', body: { content: '{"text": ' } }, () => undefined)).toThrow();
  });
});

describeCorpora("Feishu's official sample payloads", () => {
  it('takes the GET /im/v1/messages responses for history pages, keeps no app-sent messages, and skips event bodies as JSON of unknown shape', async () => {
    const r = await loadCorpus(corpus('feishu_official_samples'));
    expect(r.errors).toEqual([]);
    expect(r.units.filter((u) => u.kind === 'feishu')).toEqual([]);
    const skippedJson = r.skipped.filter((s) => s.path.endsWith('.json')).map((s) => s.path);
    expect(skippedJson).not.toContain('api_responses/GetImV1MessagesResponseDto.json');
    expect(skippedJson).not.toContain('api_responses/GetImV1MessagesByMessageIdResponseDto.json');
    expect(skippedJson).toContain('events/im.message.receive_v1.json');
    expect(r.skipped.every((s) => s.reason.startsWith('JSON of unknown shape'))).toBe(true);
  });

  it('loads the sample history item once its sender is a person: @_user_1 resolved, the open_id matchable', async () => {
    const page = JSON.parse(fs.readFileSync(path.join(corpus('feishu_official_samples'), 'api_responses/GetImV1MessagesByMessageIdResponseDto.json'), 'utf8'));
    page.data.items[0].sender = { id: 'ou_sender', id_type: 'open_id', sender_type: 'user' };
    page.data.items[0].body.content = JSON.stringify({ text: '@_user_1 test content' });
    const root = tmpDir();
    write(root, 'history.json', JSON.stringify(page));
    const r = await loadCorpus(root, { author: 'ou_sender' });
    expect(r.units).toEqual([
      { source: 'history.json', kind: 'feishu', text: '@Tom test content', locator: 'om_dc13264520392913993dd051dba21dcf', author: 'ou_sender', date: '2021-03-10T12:49:33.411Z', title: undefined },
    ]);
  });
});
