/**
 * The real adapters of the offset-preserving start (src/coordinator/preserve.ts): log offsets and
 * DeleteRecords through the flow's admin clients, single records through a short-lived reader,
 * fillers through their own producer (src/kafka/filler.ts).
 */
import type { KafkaAdmin } from '../kafka/admin.js';
import type { RdConfig } from '../kafka/client-config.js';
import { writeFillers } from '../kafka/filler.js';
import { readRecordAt } from '../kafka/record-at.js';
import type { PreserveAdapters } from '../coordinator/preserve.js';

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
      return admin.logBounds(parts);
    },
    readRecord: (side, topic, partition, offset) => readRecordAt(c[side].alias, c[side].readerConfig, topic, partition, offset),
    writeFillers: async (topic, partition, from, to) => {
      await writeFillers(c.target.alias, c.target.fillerConfig, topic, partition, from, to);
    },
    deleteRecords: (topic, partition, before) => c.target.admin.deleteRecords(topic, partition, before),
  };
}
