import fs from 'node:fs';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { loadCorpus, loadEntry } from '../../src/corpus/load';
import { scanCorpus } from '../../src/corpus/scan';
import { corpus } from '../helpers/corpora';
import { makeDocx, makePdf, tmpDir, write } from '../helpers/fixtures';

const EML = `Message-ID: <abc@yunpeng.example>
Date: Tue, 11 Nov 2025 09:30:00 +0800
From: Zhang Jianguo <zhang.jianguo@yunpeng.example>
To: Liu Yang <liu.yang@yunpeng.example>
Subject: Re: pool size

Let's keep MaxOpenConns at 40 per pod until the load test is done.

On Mon, 10 Nov 2025 at 18:00, Liu Yang wrote:
> Can we raise the pool to 80?
> It would help the peak.

-- 
Zhang Jianguo | Payments Platform
`;

describe('scanCorpus', () => {
  it('skips dotfiles, empty, oversized and binary files with reasons', async () => {
    const root = tmpDir();
    write(root, 'a.md', '# A\ntext');
    write(root, '.hidden.md', 'secret');
    write(root, 'empty.txt', '');
    write(root, 'big.txt', 'x'.repeat(2000));
    write(root, 'blob.bin', Buffer.from([1, 2, 0, 3, 4]));
    const { entries, skipped } = scanCorpus(root, { maxFileBytes: 1000 });
    expect(entries.map((e) => e.path)).toEqual(['a.md', 'blob.bin']);
    expect(skipped).toEqual(expect.arrayContaining([{ path: 'big.txt', reason: expect.stringMatching(/oversized: 2.0 KB > 1000 B/) }, { path: 'empty.txt', reason: 'empty file' }]));
    const res = await loadEntry(entries[1], root);
    expect(res.skipped).toEqual([{ path: 'blob.bin', reason: 'binary file with no loader' }]);
  });
});

describe('document loaders', () => {
  it('loads Markdown with its heading as title and HTML as readable text', async () => {
    const root = tmpDir();
    write(root, 'runbook.md', '\uFEFF# Deploy billing-gateway\n\nRun deployctl.');
    write(root, 'wiki.html', '<html><head><title>Architecture</title></head><body><h1>Billing</h1><p>Uses <b>PgBouncer</b>.</p><script>x()</script></body></html>');
    const r = await loadCorpus(root);
    const md = r.units.find((u) => u.source === 'runbook.md');
    expect(md).toMatchObject({ kind: 'markdown', title: 'Deploy billing-gateway', firstLine: 1 });
    expect(md?.text.startsWith('# Deploy')).toBe(true);
    const html = r.units.find((u) => u.source === 'wiki.html');
    expect(html).toMatchObject({ kind: 'html', title: 'Architecture' });
    expect(html?.text).toMatch(/Uses PgBouncer/);
  });

  it('loads PDF and DOCX through their libraries, and reports a broken PDF without stopping', async () => {
    const root = tmpDir();
    write(root, 'notes.pdf', makePdf('Rollback with deployctl abort'));
    write(root, 'plan.docx', makeDocx(['Invoice v2 plan', 'Backfill runs at night.']));
    write(root, 'broken.pdf', '%PDF-1.4 this is not really a pdf');
    const r = await loadCorpus(root);
    expect(r.units.find((u) => u.source === 'notes.pdf')?.text).toMatch(/Rollback with deployctl abort/);
    expect(r.units.find((u) => u.source === 'plan.docx')).toMatchObject({ kind: 'docx', title: 'Invoice v2 plan' });
    expect(r.errors).toEqual([expect.objectContaining({ path: 'broken.pdf' })]);
  });
});

describe('e-mail loader', () => {
  it('strips quoted replies and the signature, keeps subject, date, author and Message-ID', async () => {
    const root = tmpDir();
    write(root, 'mail/pool.eml', EML);
    const [u] = (await loadCorpus(root)).units;
    expect(u).toMatchObject({ kind: 'email', locator: '<abc@yunpeng.example>', title: 'Re: pool size', author: 'Zhang Jianguo <zhang.jianguo@yunpeng.example>', date: '2025-11-11T01:30:00.000Z' });
    expect(u.text).toBe("Let's keep MaxOpenConns at 40 per pod until the load test is done.");
  });

  it('recognises an e-mail by its headers whatever the file is called', async () => {
    const root = tmpDir();
    write(root, 'cur/17.', EML);
    write(root, 'notes/forwarded.txt', EML);
    const r = await loadCorpus(root);
    expect(r.units.map((u) => u.kind)).toEqual(['email', 'email']);
  });

  it('splits an mbox and keeps only the author when filtered', async () => {
    const root = tmpDir();
    const other = EML.replace('Zhang Jianguo <zhang.jianguo@yunpeng.example>', 'Liu Yang <liu.yang@yunpeng.example>').replace('<abc@', '<def@');
    write(root, 'archive.mbox', `From zhang Tue Nov 11 09:30:00 2025\n${EML}\nFrom liu Tue Nov 11 10:00:00 2025\n${other}\n`);
    expect((await loadCorpus(root)).units).toHaveLength(2);
    const only = await loadCorpus(root, { author: 'zhang.jianguo@yunpeng.example' });
    expect(only.units.map((u) => u.locator)).toEqual(['<abc@yunpeng.example>']);
  });

  it("loads Phillip Allen's real sent mail with Message-IDs and without forwarded text", async () => {
    const dir = corpus('enron_maildir_sent/maildir/allen-p/sent_items');
    const r = await loadCorpus(dir);
    expect(r.errors).toEqual([]);
    expect(r.units.length).toBeGreaterThan(250);
    expect(r.skipped.length + r.units.length).toBe(345);
    expect(r.units.every((u) => /^<.+>$/.test(u.locator ?? ''))).toBe(true);
    const ten = r.units.find((u) => u.source === '10.');
    expect(ten?.text).toMatch(/graphs illustrating volumes by tenor/);
    expect(ten?.text).not.toMatch(/Original Message|Webb, Jay/);
    expect(r.units.some((u) => /Forwarded by/.test(u.text))).toBe(false);
  });
});

describe('Slack export loader', () => {
  it('reads the real r-contributors export with thread context, public visibility and an author filter on a user id', async () => {
    const root = tmpDir();
    fs.cpSync(corpus('slack_export_r_contributors'), path.join(root, 'slack'), { recursive: true });
    const all = await loadCorpus(root);
    expect(all.errors).toEqual([]);
    expect(all.units.length).toBeGreaterThan(900);
    const reply = all.units.find((u) => u.context);
    expect(reply?.source).toMatch(/^slack\//);
    expect(reply?.visibility).toBe('public');
    const someone = /\((U[A-Z0-9]+)\)$/.exec(reply?.author ?? '')?.[1] as string;
    const mine = await loadCorpus(root, { author: someone });
    expect(mine.units.length).toBeGreaterThan(0);
    expect(mine.units.every((u) => u.author?.endsWith(`(${someone})`))).toBe(true);
  });

  it('reads a zipped export, marks private channels private with their members, and reports a malformed day file', async () => {
    const root = tmpDir();
    const files = {
      'export/users.json': JSON.stringify([{ id: 'U1', name: 'lz', real_name: 'Lao Zhang' }, { id: 'U2', name: 'ly', real_name: 'Liu Yang' }]),
      'export/channels.json': JSON.stringify([{ id: 'C1', name: 'general', members: ['U1', 'U2'] }]),
      'export/groups.json': JSON.stringify([{ id: 'G1', name: 'payments-private', members: ['U1'] }]),
      'export/general/2025-11-11.json': JSON.stringify([
        { type: 'message', user: 'U1', text: 'Deploy at 10:00 <@U2>', ts: '1762826400.000100' },
        { type: 'message', subtype: 'channel_join', user: 'U2', text: 'joined', ts: '1762826401.000100' },
        { type: 'message', user: 'U2', text: 'ok, watching the canary', ts: '1762826500.000200', thread_ts: '1762826400.000100' },
      ]),
      'export/general/2025-11-12.json': '[{"type": "message", "text": oops}]',
      'export/payments-private/2025-11-11.json': JSON.stringify([{ type: 'message', user: 'U1', text: 'reorg draft', ts: '1762826600.000300' }]),
    };
    write(root, 'ws.zip', Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])))));
    const r = await loadCorpus(root, { slackWorkspaceUrl: 'https://acme.slack.com' });
    expect(r.units.map((u) => u.text)).toEqual(['Deploy at 10:00 @Liu Yang', 'ok, watching the canary', 'reorg draft']);
    expect(r.units[1].context).toBe('Lao Zhang: Deploy at 10:00 @Liu Yang');
    expect(r.units[0].url).toBe('https://acme.slack.com/archives/C1/p1762826400000100');
    expect(r.units[2]).toMatchObject({ visibility: 'private', audience: ['slack:U1', 'slack:G1'] });
    expect(r.errors).toEqual([expect.objectContaining({ path: 'ws.zip/general/2025-11-12.json', message: expect.stringMatching(/invalid JSON at line 1 column \d+/) })]);
  });
});

describe('Feishu export loader', () => {
  const item = (id: string, sender: string, content: unknown, extra: object = {}) => ({
    message_id: id,
    msg_type: 'text',
    create_time: '1762826400000',
    sender: { id: sender, id_type: 'open_id', sender_type: 'user' },
    body: { content: typeof content === 'string' ? content : JSON.stringify(content) },
    ...extra,
  });

  it('parses text and post messages, resolves @_user_N, skips images and reports broken content', async () => {
    const root = tmpDir();
    write(
      root,
      'chat.json',
      JSON.stringify({
        chat: { chat_id: 'oc_1', name: '支付平台组', chat_type: 'group' },
        users: { ou_lz: '张建国', ou_ly: '刘洋' },
        items: [
          item('om_1', 'ou_lz', { text: '@_user_1 先回滚再查原因' }, { mentions: [{ key: '@_user_1', id: 'ou_ly', name: '刘洋' }] }),
          item('om_2', 'ou_ly', { title: '复盘', content: [[{ tag: 'text', text: '连接池 ' }, { tag: 'a', text: '文档', href: 'https://wiki/x' }]] }, { msg_type: 'post', root_id: 'om_1' }),
          item('om_3', 'ou_ly', { image_key: 'img' }, { msg_type: 'image' }),
          item('om_4', 'ou_lz', '{not json'),
        ],
      }),
    );
    const r = await loadCorpus(root);
    expect(r.units.map((u) => u.text)).toEqual(['@刘洋 先回滚再查原因', '复盘\n连接池 文档 (https://wiki/x)']);
    expect(r.units[1]).toMatchObject({ locator: 'om_2', author: '刘洋 (ou_ly)', context: '@刘洋 先回滚再查原因', date: '2025-11-11T02:00:00.000Z' });
    expect(r.errors).toEqual([expect.objectContaining({ path: 'chat.json', message: expect.stringMatching(/message 3 \(om_4\): malformed body.content JSON/) })]);
    const mine = await loadCorpus(root, { author: ['张建国'] });
    expect(mine.units.map((u) => u.locator)).toEqual(['om_1']);
  });

  it('marks a p2p chat private to its participants, and skips JSON of unknown shape', async () => {
    const root = tmpDir();
    write(root, 'dm.json', JSON.stringify({ chat: { chat_id: 'oc_dm', chat_type: 'p2p' }, items: [item('om_9', 'ou_a', { text: 'hi' }), item('om_10', 'ou_b', { text: 'hello' })] }));
    write(root, 'config.json', JSON.stringify({ some: 'settings' }));
    write(root, 'bad.json', '{"items": [1, 2,]}');
    const r = await loadCorpus(root);
    expect(r.units[0]).toMatchObject({ visibility: 'private', audience: ['lark:ou_a', 'lark:ou_b', 'lark:oc_dm'] });
    expect(r.skipped).toEqual([{ path: 'config.json', reason: expect.stringMatching(/JSON of unknown shape/) }]);
    expect(r.errors).toEqual([expect.objectContaining({ path: 'bad.json', message: expect.stringMatching(/^bad.json: invalid JSON at line 1 column \d+/) })]);
  });
});
