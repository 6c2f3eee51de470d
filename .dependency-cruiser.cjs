/*
 * Understudy's layers, lowest first. A module may import its own layer or a lower one, never a higher one.
 *
 *   foundation  util/, config/, errors.ts, log.ts and text/ (language, CJK, stop words, sentences,
 *               hashing): know nothing of avatars or chat.
 *   domain      the avatar model and the AvatarHost port (avatars/), documents (corpus/), search and
 *               its index building (retrieval/), state (store/), the job queue and metrics (jobs/),
 *               the shape of an answer (answer/types) and the platform-neutral chat contract
 *               (chat/types, history, i18n). Slack and Feishu are never named below the edges.
 *   features    what an avatar does: answer/, distill/, summarize/, meeting/ (several avatars on one
 *               question), interop/ (Agent Skills folders in and out), eval/, manifests/. They reach the
 *               hosted avatars through AvatarHost (avatars/host.ts), never app/.
 *   app         application services composing the features (app/avatar-service.ts) and the
 *               composition root that wires config, state, embedders and the model (app/runtime.ts).
 *   chat        routing chat events to the app: chat/router, gates, commands, lanes, setup, plus each
 *               feature's chat glue (distill|summarize|meeting/chat-feature.ts, distill/subject-commands.ts).
 *   edges       the ways in: adapters/ (Slack, Feishu, playground), cli/, server/ (admin console API
 *               included), mcp/ (the MCP server), cli.ts, serve.ts.
 *
 * So domain folders never import cli/, adapters/ or app/. Also: no import cycles, src/ never imports
 * test/, every import resolves, and every file is in a layer (a new top-level folder fails until it is
 * placed here). .dependency-cruiser-known-violations.json lists tolerated older violations (empty now;
 * `npm run lint:deps` passes --ignore-known); after fixing one, `npm run lint:deps:baseline` shrinks it.
 * `npm run lint:graph` prints the figures: upward imports, cycles, mutual folders, largest files.
 */
const chatGlue = '^src/(distill|summarize|meeting)/chat-feature\\.ts$|^src/distill/subject-commands\\.ts$';
const layers = [
  ['foundation', '^src/(util|config|text)/|^src/(errors|log)\\.ts$'],
  ['domain', '^src/(avatars/|store/|jobs/|corpus/|retrieval/|answer/types\\.ts$|chat/(types|history|i18n)\\.ts$)'],
  ['features', '^src/(answer/(?!types\\.ts$)|eval/|manifests/|interop/)|^src/(distill|summarize|meeting)/(?!chat-feature\\.ts$|subject-commands\\.ts$)'],
  ['app', '^src/app/'],
  ['chat', `^src/chat/(?!(types|history|i18n)\\.ts$)|${chatGlue}`],
  ['edges', '^src/(adapters|cli|server|mcp)/|^src/(cli|serve)\\.ts$'],
];

const upward = layers.slice(0, -1).map(([name, path], i) => ({
  name: `${name}-imports-upward`,
  comment: `${name} may not import ${layers.slice(i + 1).map(([n]) => n).join(', ')}`,
  severity: 'error',
  from: { path },
  to: { path: layers.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
}));

module.exports = {
  forbidden: [
    ...upward,
    { name: 'file-outside-layers', severity: 'error', from: { path: '^src/', pathNot: layers.map(([, p]) => `(${p})`).join('|') }, to: {} },
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-test-imports', severity: 'error', from: { path: '^src/' }, to: { path: '^test/' } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default', 'types'] },
  },
};
