/**
 * A TCP proxy for the chaos tests that breaks the link on command. It stands between strait and
 * one broker listener (advertised at the proxy's address, so strait's reconnections come back
 * through it; see src/bench/proxy.ts for why), and can:
 *
 *   cut('reset')      destroy every open connection and close each new one as soon as it is
 *                     accepted, until heal(): the client sees resets and refused reconnects, as
 *                     when a broker's host or a firewall rejects it;
 *   cut('blackhole')  freeze every open connection and accept new ones without forwarding a
 *                     byte, until heal(), which lets everything held through late: packets
 *                     dropped on a broken link, TCP retransmitting until the link is back;
 *   latency(ms, jitter)  delay every chunk by ms plus a random 0..jitter (order kept).
 *
 * Bytes go through DelayLine (src/bench/proxy.ts), the benchmark proxy's delay line.
 */
import net from 'node:net';
import { DelayLine } from '../../src/bench/proxy.js';

export type CutStyle = 'reset' | 'blackhole';

export interface FaultProxyOptions {
  /** Port to listen on (127.0.0.1); 0 = any free port. */
  port: number;
  upstreamHost?: string;
  upstreamPort: number;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket | undefined;
  lines: DelayLine[];
}

export class FaultProxy {
  /** Connections accepted, and connections cut (reset, or refused while cut). */
  readonly counters = { connections: 0, cut: 0, bytes: 0 };
  private readonly links = new Set<Link>();
  private state: 'open' | CutStyle = 'open';
  private delayMs = 0;
  private jitterMs = 0;
  private healTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly options: FaultProxyOptions,
  ) {}

  static start(options: FaultProxyOptions): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = net.createServer({ noDelay: true }, (client) => {
      if (!proxy) return client.destroy();
      proxy.accept(client);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: options.port, exclusive: true }, () => {
        server.off('error', reject);
        proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port, options);
        resolve(proxy);
      });
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.state !== 'open';
  }

  /** Open connections (each client with its upstream counts once). */
  get openConnections(): number {
    return this.links.size;
  }

  /** Breaks the link until heal(), or for `forMs` if given. */
  cut(style: CutStyle, forMs?: number): void {
    this.state = style;
    for (const link of [...this.links]) {
      if (style === 'reset') {
        this.counters.cut++;
        this.teardown(link);
      } else {
        for (const l of link.lines) l.hold(true);
      }
    }
    if (this.healTimer) clearTimeout(this.healTimer);
    this.healTimer = forMs === undefined ? undefined : setTimeout(() => this.heal(), forMs);
  }

  /** Lets traffic through again; black-holed connections get going with what they held. */
  heal(): void {
    if (this.healTimer) clearTimeout(this.healTimer);
    this.healTimer = undefined;
    this.state = 'open';
    for (const link of this.links) {
      // A connection accepted while black-holed has no upstream yet.
      if (!link.upstream) this.connectUpstream(link);
      for (const l of link.lines) l.hold(false);
    }
  }

  /** From now on every chunk waits `delayMs` plus a random 0..`jitterMs`, in each direction. */
  latency(delayMs: number, jitterMs = 0): void {
    this.delayMs = delayMs;
    this.jitterMs = jitterMs;
  }

  private nextDelay = (): number => this.delayMs + (this.jitterMs > 0 ? Math.random() * this.jitterMs : 0);

  private accept(client: net.Socket): void {
    this.counters.connections++;
    if (this.state === 'reset') {
      this.counters.cut++;
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const link: Link = { client, upstream: undefined, lines: [] };
    this.links.add(link);
    client.once('error', () => this.teardown(link));
    client.once('close', () => this.teardown(link));
    // Black-holed: accepted, and then nothing (the client's connect succeeds, its requests time out).
    if (this.state === 'blackhole') client.pause();
    else this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    const upstream = net.connect({ host: this.options.upstreamHost ?? '127.0.0.1', port: this.options.upstreamPort, noDelay: true });
    link.upstream = upstream;
    const count = (n: number): void => {
      this.counters.bytes += n;
    };
    // Window as in the benchmark proxy: large, so the proxy itself never limits throughput.
    const window = 16 * 1024 * 1024;
    link.lines = [new DelayLine(link.client, upstream, this.nextDelay, window, count), new DelayLine(upstream, link.client, this.nextDelay, window, count)];
    upstream.once('error', () => this.teardown(link));
    upstream.once('close', () => this.teardown(link));
    link.client.resume();
  }

  private teardown(link: Link): void {
    if (!this.links.delete(link)) return;
    for (const l of link.lines) l.close();
    link.client.destroy();
    link.upstream?.destroy();
  }

  /** Stops accepting and closes every connection. */
  close(): Promise<void> {
    if (this.healTimer) clearTimeout(this.healTimer);
    for (const link of [...this.links]) this.teardown(link);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
