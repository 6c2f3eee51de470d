import type { PlatformFactory } from './platform';
import { larkFactory } from './lark';
import { slackFactory } from './slack';

/** Every chat platform; serve starts those whose configuration is present. */
export const PLATFORM_FACTORIES: PlatformFactory[] = [slackFactory, larkFactory];
