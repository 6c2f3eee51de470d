// The code moved to src/avatars/create.ts (distill and eval make avatar packages too, not only the CLI).
// This re-export only serves src/eval/run-all.ts, which was frozen during the move: point it at
// ../avatars/create and delete this file.
export { createAvatarPackage } from '../avatars/create';
