import { renderAnswer as renderCli } from '../../src/cli/render';
import { toLarkMarkdown } from '../../src/adapters/lark/render';
import { toMrkdwn } from '../../src/adapters/slack/render';
import { write } from '../helpers/fixtures';
import { larkWorkspace, messageEvent, shownText as larkShown, startLark, type LarkHarness } from '../helpers/lark-harness';
import { eventBody, LZ_SECRET, shownText as slackShown, slackWorkspace, startSlack, type SlackHarness } from '../helpers/slack-harness';

/** A document that tries to ping everyone and disguise a link, in Slack and Feishu syntax. */
const HOSTILE = [
  '# Escalation contacts for billing-gateway',
  '',
  'Escalation contacts: page <!channel> and <!here> and <!everyone>, or <!subteam^S0123|@oncall>.',
  'Escalation owner is <@U0123ABCD>; see <https://evil.example/login|https://wiki.example/escalation>.',
  'Escalation wiki: [https://wiki.example/escalation](https://evil.example/phish).',
  'Escalation on Feishu: <at id=all></at> and <at user_id="ou_boss">Boss</at>, <font color="red">urgent</font>.',
  '',
].join('\n');
const QUESTION = 'Who are the escalation contacts for billing-gateway?';

function hostileWorkspace(base: () => string): string {
  const root = base();
  write(root, 'avatars/lao-zhang/corpus/runbooks/escalation.md', HOSTILE);
  return root;
}

describe('corpus text cannot ping or disguise links', () => {
  it('Slack mrkdwn: control sequences and disguised links are shown as text', () => {
    const out = toMrkdwn('a <!channel> b <!here> <!everyone> <@U1> <#C1> <https://evil.example|https://wiki.example> &lt; [https://wiki.example](https://evil.example) [the runbook](https://wiki.example/rb)');
    expect(out).not.toMatch(/<!|<@|<#|<https:\/\/evil[^>]*\|/);
    // The real target is shown as it is.
    expect(out).toContain('<https://evil.example>');
    expect(out).toContain('&lt;!channel&gt;');
    expect(out).toContain('&amp;lt;');
    // A label that looks like another address is not kept as the link text.
    expect(out).not.toMatch(/\|https:\/\/wiki\.example>/);
    expect(out).toContain('<https://wiki.example/rb|the runbook>');
  });

  it('Feishu markdown: <at>, HTML tags and disguised links are shown as text', () => {
    const out = toLarkMarkdown('<at id=all></at> <at user_id="ou_1">x</at> <font color="red">r</font> [https://wiki.example](https://evil.example) [runbook](https://wiki.example/rb)');
    expect(out).not.toMatch(/<at|<font/);
    expect(out).not.toMatch(/\[https:\/\/wiki\.example\]\(https:\/\/evil/);
    expect(out).toContain('[runbook](https://wiki.example/rb)');
    // In code, a placeholder stays readable; a tag Feishu acts on does not.
    expect(toLarkMarkdown('`/avatar use <handle>` `<at id=all></at>`')).toBe('`/avatar use <handle>` `&#60;at id=all>&#60;/at>`');
  });

  it('terminal: escape sequences from documents are not passed to the terminal', () => {
    const text = renderCli({ avatar: 'a', text: 'bad \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 and \x1b[2J clear', citations: [], disclosure: 'd', label: 'l', firstContact: true, grounded: true, confidence: 'high', model: 'm', lang: 'en' });
    expect(text).not.toContain('\x1b');
  });

  describe('through the real Slack receiver', () => {
    let h: SlackHarness;
    afterEach(async () => h?.close());
    it('what reaches chat.postMessage / chat.update holds no live mention or disguised link', async () => {
      h = await startSlack({ root: hostileWorkspace(slackWorkspace) });
      await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: QUESTION }, { app: 'A_LZ' }), { secret: LZ_SECRET });
      await h.idle();
      const shown = slackShown(h.fake.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update'));
      expect(shown).toMatch(/Escalation/);
      expect(shown).toContain('&lt;@U0123ABCD&gt;');
      for (const live of ['<!channel>', '<!here>', '<!everyone>', '<!subteam', '<@U0123ABCD>', '<https://evil.example/login|']) expect(shown).not.toContain(live);
      expect(shown).not.toMatch(/\|https:\/\/wiki\.example\/escalation>/);
    });
  });

  describe('through the Feishu harness', () => {
    let h: LarkHarness;
    afterEach(async () => h?.close());
    it('what reaches the card holds no <at> or HTML tag from the corpus', async () => {
      h = await startLark({ root: hostileWorkspace(larkWorkspace) });
      await h.send(messageEvent(h.fake, { app: 'lz', text: QUESTION }), { app: 'lz' });
      await h.idle();
      const shown = larkShown(h.fake);
      expect(shown).toMatch(/Escalation/);
      expect(shown).not.toMatch(/<at |<at>|<font/);
      expect(shown).not.toMatch(/\[https:\/\/wiki\.example\/escalation\]\(https:\/\/evil/);
    });
  });
});
