import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  baseURL: string;
  /** Request bodies received on /v1/chat/completions. */
  requests: { messages: { role: string; content: string }[]; stream?: boolean; model: string }[];
  /** Request bodies received on /v1/embeddings. */
  embeddingRequests: { input: string | string[]; model: string; encoding_format?: string }[];
  /**
   * How the next chat completions are answered; settable at any time. `ok` (default) replies;
   * `hang` never answers; `slow` sends headers, then one piece every `slowMs`; `500` fails;
   * `401` rejects the key as OpenAI does. Streams that fail half-way, after `cutAfter` pieces sent
   * every `slowMs`: `drop` destroys the connection, `error` sends an error event and ends.
   */
  mode: FakeOpenAiMode;
  /** Delay between streamed pieces in `slow`, `drop` and `error` mode (default 1000 ms). */
  slowMs: number;
  /** Pieces sent before a `drop` or `error` stream fails (default 3). */
  cutAfter: number;
  close(): Promise<void>;
}

export type FakeOpenAiMode = 'ok' | 'hang' | 'slow' | 'drop' | 'error' | '500' | '401';

/**
 * A local OpenAI-compatible server: /v1/chat/completions (plain and SSE streaming) answering
 * with `reply(messages)`, and /v1/embeddings (`embed(text)`, by default hashed words, in base64
 * when asked as OpenAIEmbeddings does). `failFirst` answers 500 that many times first.
 */
export async function startFakeOpenAi(
  reply: (messages: { role: string; content: string }[]) => string,
  options: { failFirst?: number; embed?: (text: string) => number[] } = {},
): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const embeddingRequests: FakeOpenAi['embeddingRequests'] = [];
  let failures = options.failFirst ?? 0;
  // Requests left open by `hang` and `slow`, ended on close so that close() does not wait for them.
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = body ? JSON.parse(body) : {};
      if (req.url?.endsWith('/chat/completions')) {
        requests.push(json);
        if (fake.mode === 'hang') {
          open.add(res);
          res.on('close', () => open.delete(res));
          return;
        }
        if (fake.mode === '401') {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }));
          return;
        }
        if (fake.mode === 'slow' || fake.mode === 'drop' || fake.mode === 'error') {
          const mode = fake.mode;
          open.add(res);
          res.on('close', () => open.delete(res));
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const pieces = reply(json.messages).match(/.{1,12}/gs) ?? [''];
          let i = 0;
          const timer = setInterval(() => {
            if (res.destroyed) return clearInterval(timer);
            if (mode !== 'slow' && i >= fake.cutAfter) {
              clearInterval(timer);
              if (mode === 'drop') res.destroy();
              else res.end(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } })}\n\n`);
              return;
            }
            if (i < pieces.length) {
              res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: json.model, choices: [{ index: 0, delta: { content: pieces[i++] }, finish_reason: null }] })}\n\n`);
              return;
            }
            clearInterval(timer);
            res.end('data: [DONE]\n\n');
          }, fake.slowMs);
          res.on('close', () => clearInterval(timer));
          return;
        }
        if (fake.mode === '500' || failures > 0) {
          if (fake.mode !== '500') failures--;
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'upstream exploded', type: 'server_error' } }));
          return;
        }
        const text = reply(json.messages);
        if (json.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const pieces = text.match(/.{1,12}/gs) ?? [''];
          for (const p of pieces) {
            res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: json.model, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`);
          }
          res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: json.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
          res.end('data: [DONE]\n\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: json.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
        return;
      }
      if (req.url?.endsWith('/embeddings')) {
        // OpenAIEmbeddings asks for base64 (little-endian Float32) unless told otherwise.
        embeddingRequests.push(json);
        const inputs: string[] = Array.isArray(json.input) ? json.input : [json.input];
        const data = inputs.map((text, index) => {
          const v = Float32Array.from((options.embed ?? wordHashEmbedding)(String(text)));
          return { object: 'embedding', index, embedding: json.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data, model: json.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const fake: FakeOpenAi = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    embeddingRequests,
    mode: 'ok',
    slowMs: 1000,
    cutAfter: 3,
    close: () =>
      new Promise((r) => {
        for (const res of open) res.destroy();
        server.close(() => r());
      }),
  };
  return fake;
}

/** 64 dimensions, one per hashed lower-case word: texts sharing words are close. */
export function wordHashEmbedding(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 0;
    for (const c of w) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % 64] += 1;
  }
  return v;
}
