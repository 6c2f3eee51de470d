import { zipSync, strToU8 } from 'fflate';
import { loadCorpus } from '../../../src/corpus/load';
import { slackDaySource } from '../../../src/corpus/slack-day';
import { renderSlackText, blocksText } from '../../../src/corpus/loaders/slack-text';
import { corpus, describeCorpora } from '../../helpers/corpora';
import { tmpDir, write } from '../../helpers/fixtures';

const names = { users: new Map([['U2', 'Liu Yang']]), channels: new Map([['C1', 'general']]) };

const EXPORT: Record<string, unknown> = {
  'users.json': [
    { id: 'U1', name: 'lz', real_name: 'Zhang Jianguo', profile: { display_name: 'Lao Zhang', real_name: 'Zhang Jianguo' } },
    { id: 'U2', name: 'ly', real_name: 'Liu Yang' },
  ],
  'channels.json': [{ id: 'C1', name: 'general', members: ['U1', 'U2'] }],
  'groups.json': [{ id: 'G1', name: 'payments-private', members: ['U1'] }],
  'dms.json': [{ id: 'D1', members: ['U1', 'U2'] }],
  'general/2025-11-11.json': [
    { type: 'message', user: 'U1', text: 'Deploy at 10:00 <@U2>, see <https://wiki.example/deploy|the runbook>', ts: '1762826400.000100' },
    { type: 'message', subtype: 'channel_join', user: 'U2', text: '<@U2> has joined the channel', ts: '1762826401.000100' },
    { type: 'message', user: 'U2', text: 'ok, watching the canary', ts: '1762826500.000200', thread_ts: '1762826400.000100' },
    { type: 'message', subtype: 'bot_message', bot_id: 'B1', text: 'build passed', ts: '1762826501.000100' },
    { type: 'message', user: 'U2', text: '', ts: '1762826502.000100' },
    {
      type: 'message',
      user: 'U1',
      text: '',
      ts: '1762826600.000300',
      blocks: [{ type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'rolled back, ' }, { type: 'user', user_id: 'U2' }] }] }],
    },
  ],
  'general/2025-11-12.json': '[{"type": "message",\n "text": oops}]',
  'payments-private/2025-11-11.json': [{ type: 'message', user: 'U1', text: 'reorg draft', ts: '1762826700.000400' }],
  'D1/2025-11-11.json': [{ type: 'message', user: 'U2', text: 'can you cover on-call?', ts: '1762826800.000500' }],
};

function exportFiles(prefix = ''): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(EXPORT).map(([k, v]) => [`${prefix}${k}`, strToU8(typeof v === 'string' ? v : JSON.stringify(v))]));
}

describe('Slack text rendering', () => {
  it('resolves mentions and channels, renders links and entities', () => {
    expect(renderSlackText('hi <@U2> and <@U9|someone> in <#C1> / <#C2|ops>: <https://a.example|docs> <https://b.example> <mailto:x@y.example|x@y.example> &lt;tag&gt; <!here>', names)).toBe(
      'hi @Liu Yang and @someone in #general / #ops: docs (https://a.example) https://b.example x@y.example <tag> @here',
    );
  });

  it('reads rich_text blocks, lists included', () => {
    const blocks = [
      {
        type: 'rich_text',
        elements: [
          { type: 'rich_text_section', elements: [{ type: 'text', text: 'Steps ' }, { type: 'link', url: 'https://x.example', text: 'here' }, { type: 'text', text: ':' }] },
          { type: 'rich_text_list', style: 'ordered', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'drain' }] }, { type: 'rich_text_section', elements: [{ type: 'user', user_id: 'U2' }] }] },
        ],
      },
    ];
    expect(blocksText(blocks, names)).toBe('Steps here (https://x.example):\n1. drain\n2. @Liu Yang');
  });
});

describe('Slack export loader', () => {
  it('loads a folder export: one unit per human message, thread context, permalinks, visibility and audiences', async () => {
    const root = tmpDir();
    for (const [k, v] of Object.entries(exportFiles())) write(root, `acme-slack/${k}`, Buffer.from(v));
    const r = await loadCorpus(root, { slackWorkspaceUrl: 'https://acme.slack.com/' });
    expect(r.units.map((u) => [u.source, u.text])).toEqual([
      ['acme-slack/general/2025-11-11', 'Deploy at 10:00 @Liu Yang, see the runbook (https://wiki.example/deploy)'],
      ['acme-slack/general/2025-11-11', 'ok, watching the canary'],
      ['acme-slack/general/2025-11-11', 'rolled back, @Liu Yang'],
      ['acme-slack/payments-private/2025-11-11', 'reorg draft'],
      ['acme-slack/D1/2025-11-11', 'can you cover on-call?'],
    ]);
    expect(r.units[0]).toEqual({
      source: 'acme-slack/general/2025-11-11',
      kind: 'slack',
      text: 'Deploy at 10:00 @Liu Yang, see the runbook (https://wiki.example/deploy)',
      locator: '1762826400.000100',
      author: 'Lao Zhang (U1)',
      date: '2025-11-11T02:00:00.000Z',
      title: '#general',
      visibility: 'public',
      audience: undefined,
      url: 'https://acme.slack.com/archives/C1/p1762826400000100',
    });
    expect(r.units[1]).toMatchObject({
      author: 'Liu Yang (U2)',
      context: 'Lao Zhang: Deploy at 10:00 @Liu Yang, see the runbook (https://wiki.example/deploy)',
      url: 'https://acme.slack.com/archives/C1/p1762826500000200?thread_ts=1762826400.000100&cid=C1',
    });
    expect(r.units[0].context).toBeUndefined();
    expect(r.units[3]).toMatchObject({ visibility: 'private', audience: ['slack:U1', 'slack:G1'] });
    expect(r.units[4]).toMatchObject({ visibility: 'private', audience: ['slack:U1', 'slack:U2', 'slack:D1'] });
  });

  it('keys each message by its day file, so a channel is many sources; a reply on a later day keeps its parent as context', async () => {
    const root = tmpDir();
    for (const [k, v] of Object.entries(exportFiles())) write(root, `acme/${k}`, Buffer.from(v));
    write(root, 'acme/general/2025-11-14.json', JSON.stringify([
      { type: 'message', user: 'U1', text: 'canary is green, promoting', ts: '1763085600.000100', thread_ts: '1762826400.000100' },
      { type: 'message', user: 'U2', text: 'thanks', ts: '1763085700.000200' },
    ]));
    const r = await loadCorpus(root, { slackWorkspaceUrl: 'https://acme.slack.com' });
    const general = r.units.filter((u) => u.title === '#general');
    expect(general.map((u) => [u.source, u.locator])).toEqual([
      ['acme/general/2025-11-11', '1762826400.000100'],
      ['acme/general/2025-11-11', '1762826500.000200'],
      ['acme/general/2025-11-11', '1762826600.000300'],
      ['acme/general/2025-11-14', '1763085600.000100'],
      ['acme/general/2025-11-14', '1763085700.000200'],
    ]);
    expect(general[3]).toMatchObject({ context: expect.stringMatching(/^Lao Zhang: Deploy at 10:00/), url: 'https://acme.slack.com/archives/C1/p1763085600000100?thread_ts=1762826400.000100&cid=C1' });
    expect(slackDaySource('acme/general/2025-11-14')).toEqual({ channel: 'acme/general', day: '2025-11-14' });
    expect(slackDaySource('acme/general')).toBeUndefined();
    expect(slackDaySource('notes/2025-11-14.md')).toBeUndefined();
  });

  it('reports a malformed day file with its path and position and still loads the rest', async () => {
    const root = tmpDir();
    for (const [k, v] of Object.entries(exportFiles())) write(root, `acme-slack/${k}`, Buffer.from(v));
    const r = await loadCorpus(root);
    expect(r.errors).toEqual([
      {
        path: 'acme-slack/general/2025-11-12.json',
        message: "acme-slack/general/2025-11-12.json: invalid JSON at line 2 column 10: Unexpected token 'o'",
        position: 'line 2 column 10',
      },
    ]);
    expect(r.units).toHaveLength(5);
  });

  it('reads the same export from a .zip, with or without a folder around it', async () => {
    const root = tmpDir();
    write(root, 'flat.zip', Buffer.from(zipSync(exportFiles())));
    write(root, 'nested.zip', Buffer.from(zipSync(exportFiles('Acme Slack export Nov 2025/'))));
    const r = await loadCorpus(root);
    expect(r.units.filter((u) => u.source.startsWith('flat.zip/'))).toHaveLength(5);
    expect(r.units.filter((u) => u.source.startsWith('nested.zip/')).map((u) => u.source)).toContain('nested.zip/general/2025-11-11');
    expect(r.errors.map((e) => e.path)).toEqual(['flat.zip/general/2025-11-12.json', 'nested.zip/general/2025-11-12.json']);
  });

  it('skips day files above the size limit with the reason', async () => {
    const root = tmpDir();
    for (const [k, v] of Object.entries(exportFiles())) write(root, `acme/${k}`, Buffer.from(v));
    write(root, 'acme/general/2025-11-13.json', JSON.stringify([{ type: 'message', user: 'U1', text: 'x'.repeat(5000), ts: '1762999999.000100' }]));
    const r = await loadCorpus(root, { maxFileBytes: 4096 });
    expect(r.skipped).toEqual([{ path: 'acme/general/2025-11-13.json', reason: expect.stringMatching(/^oversized: 4\.\d KB > 4 KB$/) }]);
  });

  it('keeps only the person\'s messages under the author filter, by id, name or display name, with their thread context', async () => {
    const root = tmpDir();
    for (const [k, v] of Object.entries(exportFiles())) write(root, `acme/${k}`, Buffer.from(v));
    for (const alias of ['U2', 'liu yang', 'LY']) {
      const r = await loadCorpus(root, { author: alias });
      expect(r.units.map((u) => u.text)).toEqual(['ok, watching the canary', 'can you cover on-call?']);
      expect(r.units[0].context).toMatch(/^Lao Zhang: Deploy at 10:00/);
    }
  });
});

describeCorpora('real Slack exports', () => {
  it('r-contributors: replies carry their parent as context, channels are public, and the author filter works on a user id', async () => {
    const dir = corpus('slack_export_r_contributors');
    const all = await loadCorpus(dir);
    expect(all.errors).toEqual([]);
    expect(all.entries).toEqual([expect.objectContaining({ path: '.', type: 'slack-export' })]);
    expect(all.units.length).toBeGreaterThan(900);
    expect(all.units.every((u) => u.visibility === 'public' && /^\d+\.\d+$/.test(u.locator ?? ''))).toBe(true);
    const replies = all.units.filter((u) => u.context);
    expect(replies.length).toBeGreaterThan(500);
    // Heather Turner answers many threads that others started.
    const mine = await loadCorpus(dir, { author: 'U01DZUA88S1' });
    expect(mine.units.length).toBeGreaterThan(100);
    expect(mine.units.every((u) => u.author?.endsWith('(U01DZUA88S1)'))).toBe(true);
    expect(mine.units.some((u) => u.context && !u.context.startsWith('Heather Turner'))).toBe(true);
    expect(all.units.some((u) => /<@U|<https?:/.test(u.text))).toBe(false);
  });

  it('houstondatavis (2016, no threads) and the slack-export-viewer test archive load without errors, bots left out', async () => {
    const houston = await loadCorpus(corpus('slack_export_houstondatavis'));
    expect(houston.errors).toEqual([]);
    expect(houston.units.length).toBeGreaterThan(1000);
    expect(houston.units.every((u) => /\([UW][A-Z0-9]+\)$/.test(u.author ?? ''))).toBe(true);
    // Old-style file comments are their writer's words, not "@x commented on y's file".
    const comment = houston.units.find((u) => u.text === 'Tim, this looks fantastic');
    expect(comment).toMatchObject({ author: expect.stringMatching(/\(U061A5N1G\)$/), context: 'A comment on the file "avg_price_by_county_NY-region.png"' });
    const viewer = await loadCorpus(corpus('slack_export_viewer_testarchive'));
    expect(viewer.errors).toEqual([]);
    expect(viewer.units.length).toBeGreaterThan(40);
    expect(viewer.units.length).toBeLessThan(158 - 94); // 94 of the 158 are bot messages
  });
});
