/**
 * Is a cluster down, or only unusable for strait? `strait failover` goes on without its source
 * only when the source is down. A Kafka call cannot tell: librdkafka fails it with the same
 * "broker transport failure" whether nothing listens or the broker closes each connection after
 * refusing the credentials (measured on librdkafka 2.15 against a SASL/PLAIN listener). A plain
 * TCP connection to the bootstrap servers can: if one of them accepts, something is there.
 */
import { connect } from 'node:net';

export interface Address {
  host: string;
  port: number;
}

/** librdkafka's "[proto://]host[:port]" list (IPv6 in brackets; port 9092 when absent). */
export function bootstrapAddresses(list: string): Address[] {
  const out: Address[] = [];
  for (const raw of list.split(',')) {
    const entry = raw.trim().replace(/^[A-Za-z_]+:\/\//, '');
    if (entry === '') continue;
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:/,[\]]+))(?::(\d+))?$/.exec(entry);
    if (!m) continue; // the configuration check reports malformed entries
    out.push({ host: m[1] ?? m[2], port: m[3] === undefined ? 9092 : Number(m[3]) });
  }
  return out;
}

/** Whether a TCP connection to `a` is accepted within `timeoutMs`. */
export function accepts(a: Address, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: a.host, port: a.port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The first of the addresses that accepts a TCP connection, or undefined when none does. */
export async function firstAccepting(addresses: Address[], timeoutMs = 3_000): Promise<Address | undefined> {
  const results = await Promise.all(addresses.map((a) => accepts(a, timeoutMs)));
  return addresses[results.indexOf(true)];
}
