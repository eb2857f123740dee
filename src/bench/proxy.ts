/**
 * A TCP proxy that adds a fixed delay in each direction: the benchmark's stand-in for a link
 * between regions (25 ms each way = 50 ms round trip by default).
 *
 * How a Kafka client ends up going through it: clients use the bootstrap address only for the
 * first metadata request; afterwards they connect to each broker's *advertised* address. So the
 * source broker gets a second listener whose advertised address is this proxy's, and the proxy
 * forwards to that listener's real port (see wanListener in harness.ts). A client that bootstraps
 * through the proxy is then told, for that listener, to reach the broker through the proxy again,
 * and every byte it exchanges with the source crosses the delay.
 *
 * Delay, not bandwidth: every chunk read from one side is written to the other side `delayMs`
 * after it arrived, in arrival order (one FIFO and one timer per direction, so chunks can never
 * overtake each other). What a real long link also has is a bounded window: a sender cannot have
 * more than its TCP window unacknowledged. `windowBytes` plays that part: when more than that
 * many bytes of one direction wait in the proxy (in the delay line or in the outgoing socket's
 * buffer), the proxy stops reading that side until the backlog halves, and TCP pushes back on the
 * sender. The default, 16 MiB, is what a tuned Linux host reaches on a 50 ms path
 * (net.ipv4.tcp_rmem max); at 50 ms it allows ~320 MiB/s, so on this benchmark's machines the
 * window is not what limits throughput; the round trips are.
 */
import net from 'node:net';

export interface DelayProxyOptions {
  /** Address the proxy listens on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on; 0 = any free port. */
  port: number;
  upstreamHost: string;
  upstreamPort: number;
  /** Added to each direction, ms (so the round trip gains twice this). */
  delayMs: number;
  /** Per direction and connection, bytes held before the proxy stops reading (default 16 MiB). */
  windowBytes?: number;
}

export interface ProxyCounters {
  connections: number;
  /** Bytes from clients to the upstream. */
  bytesUp: number;
  /** Bytes from the upstream to clients. */
  bytesDown: number;
}

const DEFAULT_WINDOW = 16 * 1024 * 1024;

/**
 * One direction of one connection: chunks wait their delay, then go out in order. Pauses `src`
 * while more than `window` bytes are held. `delayMs` may be a function, asked once per chunk (a
 * jittered delay): a chunk never leaves before the one ahead of it, as bytes of one TCP stream
 * cannot overtake each other. Also used by the chaos tests' fault proxy (test/helpers), which
 * freezes a line with hold().
 */
export class DelayLine {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private head = 0;
  private held = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private frozen = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly delayMs: number | (() => number),
    private readonly window: number,
    private readonly count: (n: number) => void,
  ) {
    src.on('data', (chunk: Buffer) => this.push(chunk));
    src.on('end', () => {
      this.ended = true;
      this.pump();
    });
    dst.on('drain', () => this.maybeResume());
  }

  private push(chunk: Buffer): void {
    const delay = typeof this.delayMs === 'number' ? this.delayMs : this.delayMs();
    this.lastDue = Math.max(this.lastDue, performance.now() + delay);
    this.queue.push({ due: this.lastDue, chunk });
    this.held += chunk.length;
    this.count(chunk.length);
    if (this.held + this.dst.writableLength > this.window) this.src.pause();
    if (!this.timer) this.schedule();
  }

  private schedule(): void {
    if (this.frozen || this.head >= this.queue.length) return;
    const wait = Math.max(0, this.queue[this.head].due - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, wait);
  }

  private pump(): void {
    if (this.frozen) return;
    const now = performance.now();
    while (this.head < this.queue.length && this.queue[this.head].due <= now + 0.5) {
      const { chunk } = this.queue[this.head++];
      this.held -= chunk.length;
      if (!this.dst.destroyed) this.dst.write(chunk);
    }
    // Compact now and then rather than shift() per chunk.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.queue.length) {
      if (!this.timer) this.schedule();
    } else if (this.ended && !this.dst.destroyed) {
      this.dst.end();
    }
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.frozen) return;
    if (this.src.isPaused() && this.held + this.dst.writableLength <= this.window / 2) this.src.resume();
  }

  /**
   * Frozen: nothing is read from `src` or written to `dst` (what waits stays queued, and the
   * kernel's buffers fill until the sender's TCP window closes), as on a link that drops every
   * packet. Unfrozen: everything held goes out, late.
   */
  hold(frozen: boolean): void {
    if (frozen === this.frozen) return;
    this.frozen = frozen;
    if (frozen) {
      this.src.pause();
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    } else {
      this.pump();
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class DelayProxy {
  readonly counters: ProxyCounters = { connections: 0, bytesUp: 0, bytesDown: 0 };
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
    readonly options: DelayProxyOptions,
  ) {}

  static start(options: DelayProxyOptions): Promise<DelayProxy> {
    const host = options.host ?? '127.0.0.1';
    const window = options.windowBytes ?? DEFAULT_WINDOW;
    let proxy: DelayProxy | undefined;
    const server = net.createServer({ noDelay: true }, (client) => {
      if (!proxy) return client.destroy();
      proxy.accept(client, window);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port, exclusive: true }, () => {
        server.off('error', reject);
        const address = server.address() as net.AddressInfo;
        proxy = new DelayProxy(server, host, address.port, options);
        resolve(proxy);
      });
    });
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  private accept(client: net.Socket, window: number): void {
    this.counters.connections++;
    const upstream = net.connect({ host: this.options.upstreamHost, port: this.options.upstreamPort, noDelay: true });
    // Kafka clients set TCP_NODELAY; so must the proxy, or Nagle adds its own delays.
    client.setNoDelay(true);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const lines = [
      new DelayLine(client, upstream, this.options.delayMs, window, (n) => (this.counters.bytesUp += n)),
      new DelayLine(upstream, client, this.options.delayMs, window, (n) => (this.counters.bytesDown += n)),
    ];
    const teardown = (): void => {
      for (const l of lines) l.close();
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.once('error', teardown);
    upstream.once('error', teardown);
    client.once('close', teardown);
    upstream.once('close', teardown);
  }

  /** Stops accepting and cuts every open connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A port the OS says is free right now (bound to port 0, read, released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
