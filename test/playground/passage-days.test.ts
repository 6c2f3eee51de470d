import path from 'node:path';
import { findPassage } from '../../src/adapters/playground/web-passage';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const msg = (user: string, ts: string, text: string, thread?: string) => ({ type: 'message', user, text, ts, ...(thread ? { thread_ts: thread } : {}) });

/**
 * A Slack export message is sourced to its day file, and a thread's replies sit in the day files
 * of their own dates: the passage panel still shows the whole thread of a cited message, and only
 * that channel's.
 */
describe('the playground passage of a Slack export message', () => {
  it('shows its thread across day files of the same channel', async () => {
    const root = tmpDir();
    makeAvatar(root, 'nt', {
      'hdv/users.json': JSON.stringify([{ id: 'U1', name: 'nt', real_name: 'Test Person nt' }, { id: 'U2', name: 'mi', real_name: 'Micah' }]),
      'hdv/channels.json': JSON.stringify([{ id: 'C1', name: 'general' }, { id: 'C2', name: 'sci' }]),
      'hdv/general/2015-06-20.json': JSON.stringify([msg('U1', '1434800000.000100', 'Who can host the July meetup?'), msg('U2', '1434800100.000100', 'I can ask Rice.', '1434800000.000100')]),
      'hdv/general/2015-06-22.json': JSON.stringify([msg('U1', '1434970000.000100', 'Rice confirmed, Duncan Hall room 104.', '1434800000.000100')]),
      'hdv/sci/2015-06-22.json': JSON.stringify([msg('U1', '1434970500.000100', 'Unrelated sci post.')]),
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('nt');
      const rootView = findPassage(svc, 'nt', 'hdv/general/2015-06-20', '1434800000.000100', LOCAL_VIEWER);
      expect(rootView?.title).toBe('#general');
      expect(rootView?.message?.thread?.replies.map((r) => [r.text, r.cited])).toEqual([
        ['Who can host the July meetup?', true],
        ['I can ask Rice.', false],
        ['Rice confirmed, Duncan Hall room 104.', false],
      ]);
      const replyView = findPassage(svc, 'nt', 'hdv/general/2015-06-22', '1434970000.000100', LOCAL_VIEWER);
      expect(replyView?.message?.thread?.root).toMatch(/Who can host the July meetup\?/);
      expect(replyView?.message?.thread?.replies.map((r) => [r.text, r.cited])).toEqual([
        ['I can ask Rice.', false],
        ['Rice confirmed, Duncan Hall room 104.', true],
      ]);
      expect(findPassage(svc, 'nt', 'hdv/general', '1434800000.000100', LOCAL_VIEWER)).toBeUndefined();
    } finally {
      svc.close();
    }
  });
});
