import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import type { Viewer } from '../../src/avatars/visibility';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const DM: Viewer = { platform: 'slack', surface: 'dm', userId: 'U_ASKER' };
const msg = (ts: string, text: string, user = 'U1') => ({ type: 'message', user, text, ts });

/**
 * A chat message is often one line whose point sits in the person's next message. The offline
 * answer quotes a Slack export message with the person's messages next to it that day (same day
 * file, cited to it), never across days.
 */
describe('offline answers from Slack export messages', () => {
  jest.setTimeout(60_000);

  it('quote the person\'s neighbouring messages of the same day, cited to that day file, and not those of another day', async () => {
    const root = tmpDir();
    makeAvatar(root, 'nt', {
      'hdv/users.json': JSON.stringify([
        { id: 'U1', name: 'nt', real_name: 'Neeraj' },
        { id: 'U2', name: 'kim', real_name: 'Kim' },
      ]),
      'hdv/channels.json': JSON.stringify([{ id: 'C1', name: 'general' }]),
      'hdv/general/2015-06-19.json': JSON.stringify([msg('1434700000.000100', 'Parking garage on Fannin is closed this week.')]),
      'hdv/general/2015-06-20.json': JSON.stringify([
        msg('1434800000.000100', 'The July visualization meetup moves to the Rice campus.'),
        msg('1434800060.000200', 'Room 104 in Duncan Hall, doors at 6:30.'),
        // Someone else's message that day: not quoted as part of the person's passage.
        msg('1434800120.000300', 'I think the budget for pizza is forty dollars.', 'U2'),
      ]),
      'hdv/general/2015-06-21.json': JSON.stringify([msg('1434900000.000100', 'Slides from the talk are in the shared drive.')]),
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('nt');
      const a = await svc.ask('nt', { question: 'Where does the July visualization meetup move to?', viewer: DM, conversation: 'c1', actor: 'x' });
      expect(a.grounded).toBe(true);
      expect(a.citations[0]).toMatchObject({ source: 'hdv/general/2015-06-20', locator: '1434800000.000100', title: '#general' });
      expect(a.citations[0].text).toContain('Rice campus');
      expect(a.citations[0].text).toContain('Room 104 in Duncan Hall');
      expect(a.text).toContain('Room 104');
      for (const c of a.citations.filter((x) => x.source === 'hdv/general/2015-06-20')) {
        expect(c.text).not.toMatch(/Fannin|Slides from the talk|pizza/);
      }
    } finally {
      svc.close();
    }
  });
});
