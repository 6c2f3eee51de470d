import { slackDaySource } from '../corpus/slack-day';
import type { Platform, SourceKind, Visibility } from '../corpus/types';
import { globMatcher } from '../util/glob';
import type { AvatarConfig } from './schema';

/** Who is looking, and where: decides which sources an answer may use and cite. */
export interface Viewer {
  platform: Platform;
  /** Platform user id, without prefix. */
  userId?: string;
  /**
   * `local`: the operator at the terminal, who has the files anyway.
   * `public_channel`: answers only from public sources.
   */
  surface: 'dm' | 'public_channel' | 'private_channel' | 'local';
  channelId?: string;
}

export const LOCAL_VIEWER: Viewer = { platform: 'cli', surface: 'local' };

export interface SourcePolicy {
  visibility: Visibility;
  audience?: string[];
}

/** Resolves a stored chunk's effective visibility from the loader's value and avatar.yaml rules. */
export class VisibilityPolicy {
  private readonly rules: { matches: (path: string) => boolean; visibility: Visibility; audience?: string[] }[];

  constructor(private readonly config: AvatarConfig) {
    this.rules = config.visibility.rules.map((r) => ({ matches: globMatcher(r.path), visibility: r.visibility, audience: r.audience }));
  }

  /**
   * `kind`: the chunk's source kind. Only a Slack export's message (`slack`) is read as a channel's
   * day: a document named like one (`notes/2021-03-04`) is matched as the file it is.
   */
  resolve(source: string, explicit: Visibility | null | undefined, audience: string[] | undefined, kind: SourceKind | undefined): SourcePolicy {
    // Source paths of exports carry `#channel`; rules match the file part. A Slack export's
    // message is keyed by its day file (`<export>/<channel>/<YYYY-MM-DD>`): a rule written for the
    // channel (`<export>/general`) covers its days, as it did when the channel was the source.
    const file = source.split('#')[0];
    const channel = kind === 'slack' ? slackDaySource(file)?.channel : undefined;
    const rule = this.rules.find((r) => r.matches(file) || r.matches(source) || (channel !== undefined && r.matches(channel)));
    if (rule) {
      // A rule may only narrow what the loader found: a private channel stays private.
      const vis = explicit && rank(explicit) > rank(rule.visibility) ? explicit : rule.visibility;
      return { visibility: vis, audience: [...(audience ?? []), ...(rule.audience ?? [])] };
    }
    return { visibility: explicit ?? this.config.visibility.default, audience };
  }

  canSee(viewer: Viewer, policy: SourcePolicy): boolean {
    const { visibility, audience } = policy;
    switch (viewer.surface) {
      case 'local':
        return true;
      case 'public_channel':
        return visibility === 'public';
      case 'private_channel':
        if (visibility !== 'private') return true;
        return viewer.channelId !== undefined && (audience ?? []).includes(`${viewer.platform}:${viewer.channelId}`);
      case 'dm':
        if (visibility === 'private') {
          return viewer.userId !== undefined && (audience ?? []).includes(`${viewer.platform}:${viewer.userId}`);
        }
        return this.config.access.dm_visibility.includes(visibility);
    }
  }
}

function rank(v: Visibility): number {
  return v === 'public' ? 0 : v === 'team' ? 1 : 2;
}
