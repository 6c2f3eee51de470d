import { messageEvent, startLark, type LarkHarness } from '../../helpers/lark-harness';

describe('Feishu missing-permission notice in Chinese', () => {
  let h: LarkHarness;
  afterEach(async () => h?.close());

  it('tells a Chinese asker once, without the generic apology after it', async () => {
    h = await startLark();
    h.fake.fail('im.v1.message.patch', { status: 400, code: 99991672, msg: 'Access denied. One of the following scopes is required: [im:message, im:message:send_as_bot].', scopes: ['im:message:send_as_bot'], times: 1 });
    await h.send(messageEvent(h.fake, { app: 'lz', text: '怎么回滚 billing-gateway？' }), { app: 'lz' });
    await h.idle();
    const told = h.fake.of('im.v1.message.reply').filter((c) => c.body.msg_type === 'text');
    expect(told).toHaveLength(1);
    expect(String(told[0].content?.text)).toMatch(/缺少飞书权限 im:message:send_as_bot/);
    const everything = JSON.stringify(h.fake.calls.filter((c) => !c.failed).map((c) => c.content));
    expect(everything).not.toMatch(/PLATFORM_SCOPE/);
    expect(everything).not.toMatch(/抱歉，这次没能回答/);
  });
});
