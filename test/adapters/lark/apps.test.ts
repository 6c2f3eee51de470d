import { capturingLogger } from '../../helpers/capturing-logger';
import { makeAvatar, tmpDir } from '../../helpers/fixtures';
import { cards, messageEvent, newFakeLark, startLark, type LarkHarness } from '../../helpers/lark-harness';

describe('Feishu app ids', () => {
  let h: LarkHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('warns about an app id that is not cli_ + 16 hex digits, and still starts and serves it', async () => {
    const root = tmpDir('lark-appid-');
    makeAvatar(root, 'lao-zhang', { 'notes.md': '# Notes\n\nRoll back first.\n' }, 'apps:\n  lark:\n    app_id: cli_laozhang0001\n    app_secret_env: LZ_OWN_SECRET\n    encrypt_key_env: LZ_OWN_KEY\n');
    const { log, lines } = capturingLogger();
    const fake = await newFakeLark();
    fake.addApp('cli_laozhang0001', 'lz-own-secret', 'ou_lzownbot', 'lao-zhang-avatar');
    try {
      h = await startLark({ root, fake, logger: log, env: { LZ_OWN_SECRET: 'lz-own-secret', LZ_OWN_KEY: 'lz-own-key' } });
    } catch (err) {
      await fake.stop();
      throw err;
    }
    const lark = h;
    const close = lark.close.bind(lark);
    lark.close = async () => {
      await close();
      await fake.stop();
    };
    // Its events are served: a DM to the avatar's own app gets an answer card.
    await lark.send(messageEvent(fake, { appId: 'cli_laozhang0001', user: 'ou_asker', text: 'when do we roll back?' }), { encryptKey: 'lz-own-key', signKey: 'lz-own-key' });
    await lark.idle();
    expect(cards(fake).map((c) => c.text).join('\n')).toMatch(/Roll back first/);
    const warning = lines().find((l) => l.level === 40 && /cli_laozhang0001/.test(JSON.stringify(l)));
    expect(warning).toBeDefined();
    expect(String(warning?.msg)).toMatch(/lao-zhang.*not look like a Feishu app id/);
    // No secret in the warning.
    expect(JSON.stringify(lines())).not.toMatch(/lz-own-secret|lz-own-key/);
  });

  it('still refuses an app id configured twice', async () => {
    const root = tmpDir('lark-appid-');
    makeAvatar(root, 'lao-zhang', { 'notes.md': '# Notes\n\nRoll back first.\n' }, 'apps:\n  lark:\n    app_id: cli_a1b2c3d4e5f60001\n    app_secret_env: LZ_OWN_SECRET\n    encrypt_key_env: LZ_OWN_KEY\n');
    await expect(startLark({ root, env: { LZ_OWN_SECRET: 'lz-own-secret', LZ_OWN_KEY: 'lz-own-key' } })).rejects.toThrow(/configured twice/);
  });
});
