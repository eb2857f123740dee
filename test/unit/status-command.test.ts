import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { command, formatUptime, statusUrl } from '../../src/cli/commands/status.js';
import { UsageError } from '../../src/cli/args.js';
import type { EngineSnapshot } from '../../src/coordinator/snapshot.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { StraitError } from '../../src/util/errors.js';

const NOW = 1_700_000_000_000;
const q = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };

function snapshot(): EngineSnapshot {
  const partition = { targetTopic: 'east.orders', committedOffset: 0, records: 10, bytes: 100, worker: 0, offsetRuns: 1 };
  return {
    takenAt: NOW,
    startedAt: NOW - 3_725_000,
    flows: [
      {
        name: 'east->west',
        source: 'east',
        target: 'west',
        mode: 'at-least-once',
        records: 1_234_567,
        bytes: 99_000_000,
        recordsFailed: 1,
        partitions: [
          {
            ...partition,
            topic: 'orders',
            partition: 0,
            replicatedOffset: 1000,
            highWatermark: 1204,
            highWatermarkAt: NOW - 500,
            replicatedTimestamp: NOW - 800,
            recordsLost: 40,
            lastLoss: { from: 960, to: 1000, at: NOW - 5000 },
          },
          { ...partition, topic: 'orders', partition: 11, replicatedOffset: -1, highWatermark: -1, replicatedTimestamp: -1 },
          {
            ...partition,
            topic: 'payments',
            partition: 3,
            replicatedOffset: 42,
            highWatermark: 50,
            replicatedTimestamp: NOW - 60_000,
            error: 'cluster "west" topic "east.payments": record too large\n(max.message.bytes)',
          },
        ],
        replicationLatency: q,
        relayLatency: q,
        recentReplicationLatency: { ...q, count: 100, p50: 12, p99: 41 },
        commits: 20,
        commitErrors: 0,
        topics: 2,
      },
      {
        name: 'idle',
        source: 'south',
        target: 'west',
        mode: 'at-least-once',
        records: 0,
        bytes: 0,
        recordsFailed: 0,
        partitions: [],
        replicationLatency: q,
        relayLatency: q,
        recentReplicationLatency: q,
        commits: 0,
        commitErrors: 0,
        topics: 0,
      },
    ],
  };
}

/** Run `strait status` with these arguments; returns what it printed. */
async function runStatus(t: TestContext, argv: string[]): Promise<{ code: number; out: string }> {
  const log = t.mock.method(console, 'log', () => {});
  try {
    const code = await command.run(argv);
    return { code, out: log.mock.calls.map((c) => c.arguments.join(' ')).join('\n') };
  } finally {
    log.mock.restore();
  }
}

void describe('strait status', () => {
  void it('prints a table per flow from a running endpoint', async (t) => {
    const server = await startMetricsServer({ port: 0 }, snapshot);
    t.after(() => server.close());
    const { code, out } = await runStatus(t, ['--url', server.url]);
    assert.equal(code, 0);
    const lines = out.split('\n');
    assert.equal(lines[0], `strait at ${server.url}: up 1 h 2 min, 2 flows`);
    assert.match(out, /^east->west {2}[\d,]+ rec\/s {2}[\d.,]+ MB\/s {2}lag 212 rec \(60 s\) {2}p50 12 ms {2}p99 41 ms {2}3 partitions {2}1 partition stopped {2}1 record failed$/m);
    assert.match(out, /^ {2}at-least-once, 2 topics, 1,234,567 records replicated since start, 1 failed, 20 commits \(0 failed\)$/m);
    const table = lines.filter((l) => /^ {2}(TOPIC|orders|payments)/.test(l));
    assert.deepEqual(table, [
      '  TOPIC     PARTITION  REPLICATED  HIGH WATERMARK  LAG    RPO  LOST           LAST ERROR',
      '  orders            0        1000            1204  204  0.8 s  40 (960..999)  -',
      '  orders           11           -               ?    ?      ?  -              -',
      '  payments          3          42              50    8   60 s  -              cluster "west" topic "east.payments": record too large (max.message.bytes)',
    ]);
    // orders-11 has neither a high watermark nor a replicated record: the flow's cut is unknown.
    assert.match(out, /^ {2}recovery point unknown \(a partition has no high watermark and no replicated record yet\)$/m);
    assert.match(out, /^idle \(south->west\) {2}0 rec\/s {2}0\.0 MB\/s {2}lag \? {2}p50 - {2}p99 - {2}0 partitions$/m);
    assert.match(out, /^ {2}no partitions assigned to this process$/m);
  });

  void it('prints the recovery point of a flow whose partitions all have one', async (t) => {
    const snap = (): EngineSnapshot => {
      const s = snapshot();
      s.flows[0].partitions.splice(1, 1); // drop orders-11 (unknown)
      s.flows[0].recordsLost = 40;
      return s;
    };
    const server = await startMetricsServer({ port: 0 }, snap);
    t.after(() => server.close());
    const { out } = await runStatus(t, ['--url', server.url]);
    // payments-3 is behind: its newest copied record (60 s old) is the cut.
    assert.match(out, /^east->west .* {2}RPO 60 s {2}p50/m);
    assert.match(out, new RegExp(`^ {2}recovery point 60 s: everything produced before ${new Date(NOW - 60_000).toISOString().replace(/\./g, '\\.')} is on the target, except 40 records the source deleted before they were copied$`, 'm'));
  });

  void it('prints the status document with --json', async (t) => {
    const server = await startMetricsServer({ port: 0 }, snapshot);
    t.after(() => server.close());
    const { code, out } = await runStatus(t, ['--json', `--url=127.0.0.1:${server.port}`]);
    assert.equal(code, 0);
    const doc = JSON.parse(out) as EngineSnapshot;
    assert.equal(doc.takenAt, NOW);
    assert.equal(doc.flows[0].partitions[2].error, snapshot().flows[0].partitions[2].error);
  });

  void it('says what to check when nothing answers', async (t) => {
    const server = await startMetricsServer({ port: 0 }, snapshot);
    const url = server.url;
    await server.close();
    await assert.rejects(runStatus(t, ['--url', url]), (err: unknown) => {
      assert.ok(err instanceof StraitError);
      assert.equal(
        err.message,
        `no strait process answered at ${url}/status (connection refused): is \`strait run\` running, and is engine.metrics enabled? (another address: --url)`,
      );
      return true;
    });
  });

  void it('gives up after --timeout when the endpoint does not answer', async (t) => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const { port } = silent.address() as AddressInfo;
    await assert.rejects(runStatus(t, ['--url', `127.0.0.1:${port}`, '--timeout', '0.2']), /no strait process answered at .*\(no answer within 0\.2 s\)/);
  });

  void it('says when something else answers', async (t) => {
    const other = createServer((req, res) => {
      if (req.url === '/status') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"hello":1}');
      else res.writeHead(404).end('Not Found\n');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      other.closeAllConnections();
      other.close();
    });
    const { port } = other.address() as AddressInfo;
    await assert.rejects(runStatus(t, ['--url', `http://127.0.0.1:${port}/elsewhere`]), /answered HTTP 404: Not Found; is this the metrics endpoint of strait\?/);
    await assert.rejects(runStatus(t, ['--url', `http://127.0.0.1:${port}`]), /answered JSON that is not a strait status document/);
  });

  void it('reads the address in the forms people type', () => {
    assert.equal(statusUrl('localhost:9464').href, 'http://localhost:9464/status');
    assert.equal(statusUrl('http://10.0.0.5:9464/').href, 'http://10.0.0.5:9464/status');
    assert.equal(statusUrl('http://proxy/strait/?x=1').href, 'http://proxy/strait/status');
    assert.equal(statusUrl('http://127.0.0.1:9464/status').href, 'http://127.0.0.1:9464/status');
    assert.throws(() => statusUrl('https://127.0.0.1:9464'), UsageError);
    assert.throws(() => statusUrl('http://'), UsageError);
  });

  void it('rejects bad options', async (t) => {
    await assert.rejects(runStatus(t, ['--ur', 'x']), /did you mean --url/);
    await assert.rejects(runStatus(t, ['--timeout', '0']), UsageError);
    await assert.rejects(runStatus(t, ['extra']), UsageError);
  });

  void it('formats uptime', () => {
    assert.equal(formatUptime(45.9), '45 s');
    assert.equal(formatUptime(720), '12 min');
    assert.equal(formatUptime(3725), '1 h 2 min');
    assert.equal(formatUptime(187_200), '2 d 4 h');
  });
});
