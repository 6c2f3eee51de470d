import YAML from 'yaml';
import type { AvatarPackage } from '../avatars/package';
import type { ManifestGenerator, ManifestInput } from './types';

export const SLACK_EVENTS_PATH = '/slack/events';

/** Bot events the adapter handles, and the scope each one needs. */
export const SLACK_BOT_EVENTS: Record<string, string> = {
  app_mention: 'app_mentions:read',
  'message.im': 'im:history',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.mpim': 'mpim:history',
  assistant_thread_started: 'assistant:write',
  assistant_thread_context_changed: 'assistant:write',
};

/**
 * Bot scopes and why: posting and updating answers, reading what we answer and the thread
 * history (memory fallback), the channel type (visibility), user names, the DM we open when
 * we cannot post in a channel, slash commands, and the assistant surface; files:read for the
 * files a person shared (distillation) and files:write for `/avatar export`.
 */
export const SLACK_BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'channels:read',
  'chat:write',
  'commands',
  'files:read',
  'files:write',
  'groups:history',
  'groups:read',
  'im:history',
  'im:read',
  'im:write',
  'mpim:history',
  'mpim:read',
  'users:read',
];

/** Slack's manifest limits (api.slack.com/reference/manifests). */
export const SLACK_LIMITS = { name: 35, description: 140, botName: 80, command: 32, usageHint: 1000 };

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function personName(a: AvatarPackage): string {
  return a.config.person.name_en ?? a.config.person.name;
}

const POSSESSIVE = { he: 'his', she: 'her', they: 'their' } as const;

function description(input: ManifestInput): string {
  const a = input.avatar;
  if (!a) {
    const names = input.avatars.filter((x) => x.config.status !== 'revoked').map(personName);
    return clip(`Digital avatars of colleagues${names.length ? ` (${names.join(', ')})` : ''}. Answers cite their sources; every reply says it is an avatar.`, SLACK_LIMITS.description);
  }
  const p = a.config.person;
  return clip(`Digital avatar of ${personName(a)}${p.title ? `, ${p.title}` : ''}. Answers from ${POSSESSIVE[p.pronoun]} material with sources; not the person.`, SLACK_LIMITS.description);
}

/** A Slack app manifest (YAML) for an avatar's own app or the hub app, HTTP or Socket Mode. */
export function slackManifest(input: ManifestInput): Record<string, unknown> {
  const a = input.avatar;
  const url = `${input.baseUrl.replace(/\/+$/, '')}${SLACK_EVENTS_PATH}`;
  const withUrl = <T extends object>(o: T): T & { url?: string } => (input.socket ? o : { ...o, url });
  const commands = input.commands.map((c) =>
    withUrl({
      command: `/${c.name}`.slice(0, SLACK_LIMITS.command),
      description: clip(c.name === 'avatar' ? 'List the digital avatars, see one, or pick who answers here' : c.usage, 2000),
      usage_hint: clip(c.usage.replace(/^\/\S+\s*/, '') || 'help', SLACK_LIMITS.usageHint),
      should_escape: false,
    }),
  );
  const prompts = a
    ? [
        { title: 'What did you own?', message: 'What systems and responsibilities did you own?' },
        { title: 'Walk me through a procedure', message: 'Walk me through your most common procedure, step by step.' },
      ]
    : [{ title: 'Which avatars are here?', message: '/avatar list' }];
  const settings: Record<string, unknown> = {
    event_subscriptions: { ...(input.socket ? {} : { request_url: url }), bot_events: Object.keys(SLACK_BOT_EVENTS) },
    interactivity: { is_enabled: true, ...(input.socket ? {} : { request_url: url }) },
    org_deploy_enabled: false,
    socket_mode_enabled: input.socket,
    token_rotation_enabled: false,
  };
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: clip(a ? a.config.display_name : 'Understudy', SLACK_LIMITS.name),
      description: description(input),
      background_color: '#3b4252',
    },
    features: {
      app_home: { home_tab_enabled: false, messages_tab_enabled: true, messages_tab_read_only_enabled: false },
      bot_user: { display_name: (a ? a.config.handle : 'understudy').slice(0, SLACK_LIMITS.botName), always_online: true },
      slash_commands: commands,
      assistant_view: {
        assistant_description: clip(description(input), 1000),
        suggested_prompts: prompts,
      },
    },
    oauth_config: { scopes: { bot: SLACK_BOT_SCOPES } },
    settings,
  };
}

/** What to do after creating the app: which variables to set, never the secrets themselves. */
function setupNotes(input: ManifestInput): string[] {
  const a = input.avatar;
  const mode = input.socket ? 'SLACK_MODE=socket' : 'SLACK_MODE=http (default)';
  if (!a) {
    return [
      `Hub app for every avatar. After installing it, set SLACK_BOT_TOKEN (Bot User OAuth Token, xoxb-)${input.socket ? ', SLACK_APP_TOKEN (App-Level Token with connections:write, xapp-)' : ' and SLACK_SIGNING_SECRET (Basic Information)'}; ${mode}.`,
    ];
  }
  const s = a.config.apps.slack;
  if (!s) {
    return [
      `Own app for @${a.config.handle}. After creating it, add to avatars/${a.config.slug}/avatar.yaml:`,
      `  apps: { slack: { app_id: <App ID>, bot_token_env: <VAR>, ${input.socket ? 'app_token_env: <VAR>' : 'signing_secret_env: <VAR>'} } }`,
      `and set those variables in the environment (names only in the yaml, never the secrets); ${mode}.`,
    ];
  }
  const secretField = input.socket ? 'app_token_env' : 'signing_secret_env';
  const secretVar = input.socket ? s.app_token_env : s.signing_secret_env;
  const head = `Own app for @${a.config.handle} (avatar.yaml apps.slack.app_id ${s.app_id}).`;
  if (!secretVar) return [`${head} Add ${secretField} to apps.slack in avatars/${a.config.slug}/avatar.yaml, then set it and ${s.bot_token_env}; ${mode}.`];
  return [`${head} After installing it, set ${s.bot_token_env} and ${secretVar}; ${mode}.`];
}

export const slackManifestGenerator: ManifestGenerator = {
  platform: 'slack',
  suffix: 'slack.yaml',
  generate: (input) =>
    [
      '# Slack app manifest generated by `understudy manifest`.',
      '# Create the app at https://api.slack.com/apps > Create New App > From a manifest, and paste this file.',
      ...setupNotes(input).map((l) => `# ${l}`),
      YAML.stringify(slackManifest(input), { lineWidth: 0 }),
    ].join('\n'),
};
