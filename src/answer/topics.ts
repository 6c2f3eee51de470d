import type { AvatarConfig } from '../avatars/schema';
import { VisibilityPolicy, type Viewer } from '../avatars/visibility';
import type { AvatarIndex } from '../retrieval/avatar-index';

const DOCUMENT_KINDS = new Set(['markdown', 'text', 'html', 'pdf', 'docx']);

/**
 * The titles offered when the avatar abstains ("topics I can answer from"): only documents the
 * viewer may see in that place, most substantial first. A title is content too: naming a
 * private "CONFIDENTIAL: reduction-in-force list" in a public channel leaks it.
 */
export function visibleTopics(index: AvatarIndex, config: AvatarConfig, viewer: Viewer, n = 5): string[] {
  if (!index.exists()) return [];
  const store = index.chunkStore();
  // Resolve from the visibility the loader stored (null = not stated), as search does, so the
  // rules in avatar.yaml apply exactly as they do to answers.
  const policy = new VisibilityPolicy(config);
  const visible = new Set<number>();
  for (const r of store.policyRows()) {
    const audience = r.audience ? (JSON.parse(r.audience) as string[]) : undefined;
    if (policy.canSee(viewer, policy.resolve(r.source, r.visibility, audience, r.kind))) visible.add(r.id);
  }
  const counts = new Map<string, number>();
  for (const chunk of store.iterateChunks()) {
    if (!chunk.title || !DOCUMENT_KINDS.has(chunk.kind) || !visible.has(chunk.id)) continue;
    counts.set(chunk.title, (counts.get(chunk.title) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([title]) => title);
}
