/**
 * The real adapters of the offset-preserving start (src/coordinator/preserve.ts): log offsets and
 * DeleteRecords through the flow's admin clients, single records through a short-lived reader,
 * fillers through their own producer (src/kafka/filler.ts).
 */
import type { KafkaAdmin } from '../kafka/admin.js';
import type { RdConfig } from '../kafka/client-config.js';
import { writeFillers } from '../kafka/filler.js';
import { readRecordAt } from '../kafka/record-at.js';
import { partitionKey } from '../util/partition-key.js';
import type { LogBounds, PreserveAdapters } from '../coordinator/preserve.js';

export interface PreserveClients {
  source: { alias: string; admin: KafkaAdmin; readerConfig: RdConfig };
  target: { alias: string; admin: KafkaAdmin; readerConfig: RdConfig; fillerConfig: RdConfig };
}

export function preserveAdapters(c: PreserveClients): PreserveAdapters {
  return {
    async bounds(side, parts) {
      const { admin } = c[side];
      // librdkafka's admin client answers listOffsets from metadata it cached, and keeps a topic
      // it once saw missing as missing ("No such entry", "Unknown topic or partition") even after
      // the topic was created; describing the topics refreshes that (checked on librdkafka 2.15).
      await admin.describeTopics([...new Set(parts.map((p) => p.topic))]);
      const [starts, ends] = await Promise.all([admin.listOffsets(parts, 'earliest'), admin.listOffsets(parts, 'latest')]);
      const out = new Map<string, LogBounds>();
      const endOf = new Map(ends.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
      for (const s of starts) {
        const key = partitionKey(s.topic, s.partition);
        const end = endOf.get(key);
        if (end !== undefined) out.set(key, { logStart: s.offset, end });
      }
      return out;
    },
    readRecord: (side, topic, partition, offset) => readRecordAt(c[side].alias, c[side].readerConfig, topic, partition, offset),
    writeFillers: async (topic, partition, from, to) => {
      await writeFillers(c.target.alias, c.target.fillerConfig, topic, partition, from, to);
    },
    deleteRecords: (topic, partition, before) => c.target.admin.deleteRecords(topic, partition, before),
  };
}
