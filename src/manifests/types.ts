import type { AvatarPackage } from '../avatars/package';

/** What a platform's app manifest is generated from. */
export interface ManifestInput {
  /** The avatar this app speaks as; undefined for the hub app that hosts every avatar. */
  avatar?: AvatarPackage;
  /** Every avatar, for the hub app's description. */
  avatars: AvatarPackage[];
  /** Long connection (Slack Socket Mode, Feishu WebSocket) instead of a public request URL. */
  socket: boolean;
  /** Public base URL of this process, e.g. https://understudy.example.com (no path). */
  baseUrl: string;
  /** Slash commands the router knows, `/avatar` first. */
  commands: { name: string; usage: string }[];
}

/** One platform's manifest format. Add a platform by writing one and listing it in index.ts. */
export interface ManifestGenerator {
  platform: string;
  /** File name suffix: `<slug>.<suffix>` under manifests/. */
  suffix: string;
  generate(input: ManifestInput): string;
}

/** A placeholder that makes the setup step obvious when no --url is given. */
export const PLACEHOLDER_BASE_URL = 'https://understudy.example.com';
