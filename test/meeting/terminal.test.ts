import { runCli } from '../helpers/cli';
import { meetingWorkspace, QUESTION } from './workspace';

describe('/meeting typed in the terminal chat', () => {
  it('goes through the router like any platform: each answer, then the synthesis, printed once each', async () => {
    const root = meetingWorkspace('slack');
    const res = await runCli(['chat', 'lao-zhang'], { cwd: root, stdin: `/meeting @lao-zhang-avatar @lin-xiaoyu-avatar ${QUESTION}\n/quit\n` });
    expect(res.code).toBe(0);
    const out = res.stdout;
    expect(out).not.toMatch(/Unknown command/);
    expect(out.match(/Avatar meeting/g)).toHaveLength(1);
    const lz = out.indexOf('Digital avatar of Test Person lao-zhang (not the person)');
    const lx = out.indexOf('Digital avatar of Test Person lin-xiaoyu (not the person)');
    const synthesis = out.indexOf("Moderator's synthesis");
    expect(lz).toBeGreaterThan(0);
    expect(lx).toBeGreaterThan(lz);
    expect(synthesis).toBeGreaterThan(lx);
    // The terminal chat was started with one avatar; the other's index is built for the meeting.
    expect(out).toMatch(/runbooks\/rollback\.md/);
    expect(out).toMatch(/release\/rollback-policy\.md/);
    expect(out).toMatch(/Where they agree\**\n• .+ — Test Person lao-zhang \[\d\], Test Person lin-xiaoyu \[\d\]/);
    expect(out).toMatch(/Extractive moderator/);
  }, 60_000);
});
