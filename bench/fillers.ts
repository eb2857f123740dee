/**
 * Filler benchmark: how long the offset-preserving mode takes to align an empty target partition
 * with a source partition whose log start offset is N (write N fillers, then DeleteRecords).
 *
 *   node dist/bench/fillers.js --bootstrap HOST:PORT [--offsets 1000000,10000000] [--note TEXT] [--no-append]
 *
 * For each N: a fresh one-partition topic on the given cluster (the target), then the same calls
 * the mode makes (src/kafka/filler.ts writeFillers, src/kafka/admin.ts deleteRecords), timed
 * separately. Prints one JSON line per N and appends it (command, date, machine, Node) to
 * bench/results/fillers.jsonl. The topics are deleted afterwards.
 */
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../src/kafka/admin.js';
import { librdkafkaVersion } from '../src/kafka/binding.js';
import { writeFillers } from '../src/kafka/filler.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const bootstrap = arg('bootstrap');
  if (!bootstrap) throw new Error('--bootstrap HOST:PORT is required (the target cluster, e.g. the sandbox target)');
  const sizes = (arg('offsets') ?? '1000000,10000000').split(',').map(Number);
  const note = arg('note');
  const append = !process.argv.includes('--no-append');
  const config = { 'bootstrap.servers': bootstrap };
  const admin = new KafkaAdmin('target', config);
  try {
    for (const n of sizes) {
      const topic = `strait-fillers-bench-${Date.now()}`;
      await admin.createTopic(topic, 1, 1);
      const rss0 = process.memoryUsage().rss;
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      const fill = await writeFillers('target', config, topic, 0, 0, n);
      const t1 = Date.now();
      const logStart = await admin.deleteRecords(topic, 0, n);
      const t2 = Date.now();
      const cpu = process.cpuUsage(cpu0);
      const [end] = await admin.listOffsets([{ topic, partition: 0 }], 'latest');
      const [start] = await admin.listOffsets([{ topic, partition: 0 }], 'earliest');
      if (end.offset !== n || start.offset !== n || logStart !== n) throw new Error(`after aligning to ${n}: log start ${start.offset}, end ${end.offset}`);
      await admin.deleteTopic(topic).catch(() => undefined);
      const line = {
        bench: 'fillers',
        date: new Date().toISOString(),
        command: `node dist/bench/fillers.js ${process.argv.slice(2).join(' ')}`,
        machine: { cpuModel: os.cpus()[0]?.model.trim(), cpus: os.cpus().length, totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, platform: `${os.platform()} ${os.release()}` },
        node: process.version,
        librdkafka: librdkafkaVersion,
        offsets: n,
        fillSeconds: (t1 - t0) / 1000,
        fillRecordsPerSecond: Math.round(n / Math.max(0.001, fill.ms / 1000)),
        deleteRecordsSeconds: (t2 - t1) / 1000,
        totalSeconds: (t2 - t0) / 1000,
        processCpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
        rssGrowthMiB: Math.round((process.memoryUsage().rss - rss0) / 2 ** 20),
        ...(note ? { note } : {}),
      };
      console.log(JSON.stringify(line));
      if (append) appendFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results/fillers.jsonl'), JSON.stringify(line) + '\n');
    }
  } finally {
    admin.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
