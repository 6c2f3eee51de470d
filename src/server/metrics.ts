import { collectProcessMetrics, registry } from '../jobs/metrics';
import type { HttpServer } from './http-server';

/**
 * GET /metrics in Prometheus's text format: the counters in src/jobs/metrics.ts (events, answers,
 * model errors, job latency, queue depth) and the process's own (resident memory, CPU, event loop).
 */
export function mountMetrics(server: HttpServer): void {
  collectProcessMetrics();
  server.route('GET', '/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}
