/**
 * The SourceProbe of sample.ts over the real adapters: KafkaAdmin (topics, end offsets),
 * ConfigAdmin (log sizes) and the assigning record reader. Nothing here joins a group or writes.
 */
import type { ClusterConfig } from '../config/types.js';
import { KafkaAdmin } from '../kafka/admin.js';
import { adminConfig, consumerConfig } from '../kafka/client-config.js';
import { ConfigAdmin } from '../kafka/config-admin.js';
import { readRecordsFrom } from '../kafka/reader.js';
import type { SourceProbe } from './sample.js';

const CLIENT_ID = 'strait-plan';

export function kafkaProbe(cluster: string, config: ClusterConfig): SourceProbe {
  const admin = new KafkaAdmin(cluster, adminConfig(config, CLIENT_ID));
  let configAdmin: ConfigAdmin | undefined;
  let logSizesRefused = false;
  return {
    cluster,
    async topics() {
      const names = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
      return admin.describeTopics(names);
    },
    async ends(partitions) {
      const bounds = await admin.logBounds([...partitions]);
      return new Map([...bounds].map(([k, b]) => [k, b.end]));
    },
    async logSizes(partitions) {
      // Log sizes only refine the network figures: a cluster that refuses DescribeLogDirs
      // (no DESCRIBE permission on the cluster) leaves them unmeasured, and the plan says so.
      if (logSizesRefused) return undefined;
      configAdmin ??= new ConfigAdmin(cluster, adminConfig(config, CLIENT_ID));
      try {
        return await configAdmin.partitionLogSizes(partitions);
      } catch {
        logSizesRefused = true;
        return undefined;
      }
    },
    records(starts) {
      return readRecordsFrom(cluster, consumerConfig(config, 'strait-plan-sampler', CLIENT_ID), [...starts], { timeoutMs: 120_000 });
    },
    async close() {
      admin.close();
      await configAdmin?.close();
    },
  };
}

