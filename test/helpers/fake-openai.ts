import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  baseURL: string;
  /** Request bodies received on /v1/chat/completions. */
  requests: { messages: { role: string; content: string }[]; stream?: boolean; model: string }[];
  close(): Promise<void>;
}

/**
 * A local OpenAI-compatible server: /v1/chat/completions (plain and SSE streaming) answering
 * with `reply(messages)`, and /v1/embeddings. `failFirst` answers 500 that many times first.
 */
export async function startFakeOpenAi(reply: (messages: { role: string; content: string }[]) => string, options: { failFirst?: number } = {}): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  let failures = options.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = body ? JSON.parse(body) : {};
      if (req.url?.endsWith('/chat/completions')) {
        requests.push(json);
        if (failures > 0) {
          failures--;
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
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
