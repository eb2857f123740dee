/**
 * The metrics endpoint: a small node:http server, on 127.0.0.1 unless configured otherwise.
 *
 *   GET /metrics   Prometheus text format 0.0.4 (src/metrics/prometheus.ts)
 *   GET /status    the engine snapshot as JSON, plus each flow's current rates (`strait status`)
 *   GET /healthz   {"status":"ok","uptimeSeconds":...}; answers without taking a snapshot: the
 *                  process is alive (a liveness probe)
 *   GET /readyz    200 once every flow joined its group and handled its first assignment, 503
 *                  before that and from the moment the process begins to stop (a readiness
 *                  probe; src/engine/readiness.ts), with the engine's phase and each flow's state
 *   POST /flows/<name>/stop   stops one flow in order and answers when it is stopped (JSON;
 *                  404 for a flow this process does not run). Used by `strait failover`. Refused
 *                  (403) from another machine unless engine.metrics.remoteStop is on (it has no
 *                  authentication), and with an Origin header: a web page in a browser must not
 *                  stop replication.
 *
 * Every /metrics and /status request calls getSnapshot() once and feeds the rate tracker with it.
 * The tracker measures over a time window, so several readers sharing it (this server and the
 * log summary) do not disturb each other.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { EngineSnapshot, FlowSnapshot } from '../coordinator/snapshot.js';
import { describeError, StraitError } from '../util/errors.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
import { RateTracker } from './rates.js';

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsServerOptions {
  /** Default 127.0.0.1: the endpoint answers on this machine only unless asked otherwise. */
  host?: string;
  /** 0 picks a free port; MetricsServer.port says which. */
  port: number;
  /** Share one tracker with the log summary; by default the server keeps its own. */
  rates?: RateTracker;
  /**
   * Where failures to answer are logged (the engine's logger). Passed in rather than imported so
   * that `strait status`, which shares this module's types and defaults, does not start a logger.
   */
  log?: Pick<Logger, 'warn'>;
  /**
   * Whether the process is ready, for GET /readyz; the other fields of the answer are written
   * into the body as they are (the engine's: src/engine/readiness.ts). Absent = ready whenever
   * the process answers, like /healthz.
   */
  readiness?: () => { ready: boolean };
  /** Operations behind POST endpoints; absent = none served. */
  admin?: MetricsAdmin;
  /**
   * Whether clients on other machines may use the POST endpoints (engine.metrics.remoteStop).
   * Default false: the endpoint has no authentication, and a host of 0.0.0.0 (for a Prometheus
   * server elsewhere) must not let anyone on the network stop replication.
   */
  remoteStop?: boolean;
}

/**
 * Whether a peer address is this machine's loopback: 127.0.0.0/8, ::1, or the IPv4-mapped form
 * of 127.0.0.0/8 a dual-stack socket reports. A connection to one of the machine's other
 * addresses reports that address and counts as remote: the check is about the path, not the host.
 */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}

/** What the endpoint may ask of the engine. */
export interface MetricsAdmin {
  /** Stops the flow in order; undefined when this process does not run it. */
  stopFlow(name: string): Promise<object | undefined>;
}

const STOP_FLOW_PATH = /^\/flows\/([^/]+)\/stop$/;

export interface MetricsServer {
  readonly host: string;
  /** The bound port (the chosen one when 0 was asked). */
  readonly port: number;
  /** Base address, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

/** A flow in /status: the snapshot's fields, plus its rates when known. */
export interface StatusFlow extends FlowSnapshot {
  recordsPerSecond?: number;
  bytesPerSecond?: number;
}

/** The body of GET /status. */
export interface StatusDocument extends EngineSnapshot {
  flows: StatusFlow[];
}

export function statusDocument(snapshot: EngineSnapshot, rates?: RateTracker): StatusDocument {
  return {
    ...snapshot,
    flows: snapshot.flows.map((f) => {
      const r = rates?.rate(f.name);
      return r === undefined ? { ...f } : { ...f, recordsPerSecond: r.recordsPerSecond, bytesPerSecond: r.bytesPerSecond };
    }),
  };
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Turn a listen() failure into something the operator can act on. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): StraitError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new StraitError('METRICS_PORT_IN_USE', `metrics port ${port} on ${host} is already in use: set engine.metrics.port or stop the other process`, { cause: err });
    case 'EACCES':
      return new StraitError('METRICS_LISTEN', `not allowed to listen on metrics port ${port} on ${host} (ports below 1024 need privileges): set engine.metrics.port`, { cause: err });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StraitError(
        'METRICS_LISTEN',
        `metrics host ${host} is not an address of this machine: set engine.metrics.host (127.0.0.1 for this machine only, 0.0.0.0 for every interface)`,
        { cause: err },
      );
    default:
      return new StraitError('METRICS_LISTEN', `cannot serve metrics on ${host} port ${port}: ${err.message}`, { cause: err });
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    // Every answer is a fresh reading; a proxy must not serve an old one.
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(body);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

export async function startMetricsServer(options: MetricsServerOptions, getSnapshot: () => EngineSnapshot): Promise<MetricsServer> {
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const rates = options.rates ?? new RateTracker();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    const stop = STOP_FLOW_PATH.exec(path);
    if (stop && options.admin) {
      handleStop(req, res, options.admin, stop[1]);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, TEXT_TYPE, 'only GET and HEAD are served\n', { Allow: 'GET, HEAD' });
      return;
    }
    try {
      switch (path) {
        case '/metrics': {
          const snapshot = getSnapshot();
          rates.observe(snapshot);
          send(res, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus(snapshot, rates));
          return;
        }
        case '/status': {
          const snapshot = getSnapshot();
          rates.observe(snapshot);
          send(res, 200, JSON_TYPE, JSON.stringify(statusDocument(snapshot, rates)));
          return;
        }
        case '/healthz':
          send(res, 200, JSON_TYPE, JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime() * 1000) / 1000 }));
          return;
        case '/readyz': {
          const r = options.readiness?.() ?? { ready: true };
          send(res, r.ready ? 200 : 503, JSON_TYPE, JSON.stringify({ status: r.ready ? 'ready' : 'not ready', ...r }));
          return;
        }
        default:
          send(res, 404, TEXT_TYPE, 'not found: strait serves /metrics, /status, /healthz and /readyz\n');
      }
    } catch (err) {
      // A snapshot that cannot be taken must not take the process down with it.
      options.log?.warn({ err, path }, 'metrics endpoint could not answer');
      send(res, 500, TEXT_TYPE, `could not take a snapshot: ${describeError(err)}\n`);
    }
  }

  function handleStop(req: IncomingMessage, res: ServerResponse, admin: MetricsAdmin, rawName: string): void {
    if (req.method !== 'POST') {
      send(res, 405, TEXT_TYPE, 'stopping a flow takes a POST\n', { Allow: 'POST' });
      return;
    }
    if (options.remoteStop !== true && !isLoopbackPeer(req.socket.remoteAddress)) {
      send(
        res,
        403,
        JSON_TYPE,
        JSON.stringify({
          error:
            `this strait process stops flows only on request from its own machine, and this request came from ${req.socket.remoteAddress ?? 'an unknown address'}: ` +
            'run strait failover on that machine (--stop-url http://127.0.0.1:<engine.metrics.port>), or set engine.metrics.remoteStop: true there if only trusted hosts reach the port',
        }),
      );
      return;
    }
    // Browsers send Origin with every cross-site POST; strait's own clients never do.
    if (req.headers.origin !== undefined) {
      send(res, 403, JSON_TYPE, JSON.stringify({ error: 'requests from web pages (with an Origin header) may not stop flows' }));
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      send(res, 400, JSON_TYPE, JSON.stringify({ error: `not a valid flow name in the path: ${rawName}` }));
      return;
    }
    req.resume();
    admin.stopFlow(name).then(
      (result) => {
        if (result === undefined) send(res, 404, JSON_TYPE, JSON.stringify({ error: `this strait process runs no flow named "${name}"` }));
        else send(res, 200, JSON_TYPE, JSON.stringify(result));
      },
      (err: unknown) => {
        options.log?.warn({ err, flow: name }, 'stopping a flow on request failed');
        send(res, 500, JSON_TYPE, JSON.stringify({ error: `stopping flow "${name}" failed: ${describeError(err)}` }));
      },
    );
  }

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, options.port));
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => options.log?.warn({ err }, 'metrics endpoint error'));

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${urlHost(host)}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep connections alive; answers are small and quick, so cut them rather than wait.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
