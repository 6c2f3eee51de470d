import { makeAvatar, tmpDir } from '../helpers/fixtures';

/** The question both demo-like avatars have material on. */
export const QUESTION = 'How do we roll back billing-gateway when a release goes wrong?';

/** A secret planted in a private source of each avatar: it must never reach a public channel. */
export const PRIVATE_MARK = 'ORCHID-7';

const VISIBILITY = (audience: string): string => `visibility:
  default: team
  rules:
    - path: "private/**"
      visibility: private
      audience: ["${audience}"]
    - path: "public/**"
      visibility: public
`;

/**
 * Two avatars that both speak of rolling back billing-gateway (team sources), each with a public
 * source on it and a private one naming PRIVATE_MARK; a third avatar only U_BOSS may use.
 */
export function meetingWorkspace(platform: 'slack' | 'lark'): string {
  const root = tmpDir('meeting-');
  const boss = platform === 'slack' ? 'slack:U_BOSS' : 'lark:ou_boss';
  makeAvatar(
    root,
    'lao-zhang',
    {
      'runbooks/rollback.md': '# Roll back billing-gateway\n\nIf a release of billing-gateway touches money, roll back first and debug later. Run `deployctl rollback billing-gateway --to v2.14.2`; the canary stops on its own.\n',
      'public/rollback-faq.md': '# Rollback FAQ for partners\n\nA rollback of billing-gateway takes about five minutes, and partners see it on the public status page.\n',
      [`private/rollback-secret.md`]: `# Break-glass rollback of billing-gateway\n\nWhen a release goes wrong at night, the break-glass rollback of billing-gateway uses the ${PRIVATE_MARK} runner.\n`,
    },
    VISIBILITY(platform === 'slack' ? 'slack:U_MGR' : 'lark:ou_mgr'),
  );
  makeAvatar(
    root,
    'lin-xiaoyu',
    {
      'release/rollback-policy.md': '# Release policy for billing-gateway\n\nWhen a release touches money, product agrees to roll back billing-gateway first and debug later. Support tells merchants within 15 minutes.\n',
      'public/status-page.md': '# Status page\n\nThe public status page announces every rollback of billing-gateway within 15 minutes of the release going wrong.\n',
      'private/roadmap.md': `# Private roadmap\n\nIf the billing-gateway release goes wrong again, we roll back with the ${PRIVATE_MARK} runner before the board review.\n`,
    },
    VISIBILITY(platform === 'slack' ? 'slack:U_MGR' : 'lark:ou_mgr'),
  );
  makeAvatar(
    root,
    'wang-fang',
    { 'rollback.md': '# Rollback notes\n\nRoll back billing-gateway with the release console when a release goes wrong.\n' },
    `access:\n  users: ["${boss}"]\n  groups: []\n  channels: []\n  dm_visibility: [public, team]\n`,
  );
  return root;
}
