import { FakeListChatModel } from '@langchain/core/utils/testing';
import { generate } from '../../src/answer/llm';

describe('drafts of a cut-off model stream', () => {
  it('no token reaches a draft after the guard gave up on the call (the answer budget ran out mid-stream)', async () => {
    // FakeListChatModel streams one character every `sleep` ms.
    const model = new FakeListChatModel({ responses: ['Roll back first, then debug later, and write the incident note afterwards.'], sleep: 20 });
    const seen: { piece: string; late: boolean }[] = [];
    let failed = false;
    await expect(generate(model, [{ role: 'user', content: 'how do I roll back?' }], (piece) => seen.push({ piece, late: failed }), { budget: 150 }).finally(() => (failed = true))).rejects.toMatchObject({
      code: 'MODEL_FAILED',
      details: { reason: 'timeout' },
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.late)).toEqual([]);
  });
});
