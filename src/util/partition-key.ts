/** The key of a topic partition in maps of per-partition state: "topic\0partition". */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
