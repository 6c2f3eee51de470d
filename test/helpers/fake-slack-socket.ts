import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketEnvelope {
  envelope_id: string;
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/**
 * Slack's Socket Mode server side, locally: `hello` on connect, envelopes pushed to a
 * connection, and the client's `{envelope_id, payload}` acks recorded with their latency.
 */
export class FakeSlackSocket {
  readonly connections: WebSocket[] = [];
  readonly acks = new Map<string, { payload: unknown; ms: number }>();
  private readonly sentAt = new Map<string, number>();
  private server?: WebSocketServer;
  private n = 0;
  url = '';

  async start(): Promise<void> {
    this.server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => this.server?.once('listening', () => r()));
    this.url = `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link/?ticket=test`;
    this.server.on('connection', (ws) => {
      this.connections.push(ws);
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (msg.envelope_id) this.acks.set(msg.envelope_id, { payload: msg.payload, ms: Date.now() - (this.sentAt.get(msg.envelope_id) ?? Date.now()) });
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: this.connections.length, debug_info: { host: 'fake', approximate_connection_time: 18060 }, connection_info: { app_id: 'A_FAKE' } }));
    });
  }

  /** Push an envelope on one connection; returns its envelope_id. */
  push(connection: number, type: SocketEnvelope['type'], payload: unknown, retry = 0): string {
    const envelope_id = `env-${++this.n}`;
    const envelope: SocketEnvelope = { envelope_id, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: retry, retry_reason: retry ? 'timeout' : '' };
    this.sentAt.set(envelope_id, Date.now());
    this.connections[connection].send(JSON.stringify(envelope));
    return envelope_id;
  }

  /** Resolves when the envelope was acked, or rejects after `ms`. */
  async acked(envelopeId: string, ms = 3000): Promise<{ payload: unknown; ms: number }> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const a = this.acks.get(envelopeId);
      if (a) return a;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`envelope ${envelopeId} was not acked within ${ms} ms`);
  }

  /** Let clients finish their close handshake first: cutting it short leaves their 30 s timer behind. */
  async stop(): Promise<void> {
    const open = this.connections.filter((c) => c.readyState !== c.CLOSED);
    await Promise.race([Promise.all(open.map((c) => new Promise((r) => c.once('close', r)))), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const c of this.connections) c.terminate();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
