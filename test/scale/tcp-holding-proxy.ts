import net from 'node:net';

/**
 * A TCP proxy in front of Redis that can stop passing Redis's replies back: the commands a replica
 * sends still reach Redis and run (a dedupe claim is taken, a job added), but the replica never
 * hears back, as when it is stuck or about to be killed. Requests always pass.
 */
export class TcpHoldingProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private holding = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => {
        if (!this.holding) client.write(d);
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server?.address() as net.AddressInfo).port;
  }

  /** From now on Redis's replies are dropped (the commands still run). */
  holdReplies(): void {
    this.holding = true;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
