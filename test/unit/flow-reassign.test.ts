// The coordinator when the group takes partitions away and hands them back: in at-least-once a
// partition resumes from what the target acknowledged, not from an older committed offset, and a
// partition whose previous copy still drains (its revoke timed out) waits for it. Fakes of the
// project's own adapters (group member, admin clients, the task's end of the message port).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { FlowCoordinator, type TopicAdmin } from '../../src/coordinator/flow.js';
import { WorkerChannel } from '../../src/coordinator/worker-channel.js';
import type { GroupHandlers, GroupMember } from '../../src/kafka/group-member.js';
import type { ProgressHandler, ProgressRingReader } from '../../src/ring/progress-ring.js';
import { decode, encode } from '../../src/util/codec.js';
import type { AssignMessage, CoordinatorMessage, WorkerMessage } from '../../src/worker/protocol.js';

function admin(topics: Record<string, number>): TopicAdmin {
  return {
    listTopics: () => Promise.resolve(Object.keys(topics)),
    describeTopics: (names) => Promise.resolve(names.filter((n) => topics[n] !== undefined).map((name) => ({ name, partitions: topics[name] }))),
    createTopic: (name, partitions) => {
      topics[name] = partitions;
      return Promise.resolve(true);
    },
    createPartitions: () => Promise.resolve(),
    groupMembers: () => Promise.resolve(new Map()),
    commitGroupOffsets: () => Promise.resolve(),
    listGroups: () => Promise.resolve([]),
    groupOffsets: () => Promise.resolve([]),
    close: () => undefined,
  };
}

class FakeMember implements GroupMember {
  handlers!: GroupHandlers;
  committedOffsets = new Map<string, number>();
  commits: { topic: string; partition: number; offset: number }[][] = [];
  /** The group refuses commits (a member whose session expired). */
  refuseCommits = false;
  subscribe(): void {}
  committed(): Promise<Map<string, number>> {
    return Promise.resolve(new Map(this.committedOffsets));
  }
  commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (this.refuseCommits) return Promise.reject(new Error('Broker: Specified group generation id is not valid'));
    this.commits.push(offsets);
    for (const o of offsets) this.committedOffsets.set(`${o.topic}\u0000${o.partition}`, o.offset);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The task's end: records what the coordinator sent; progress goes through a fake ring. */
class FakeTask {
  readonly sent: CoordinatorMessage[] = [];
  readonly progress: [number, number, number, number, number, number][] = [];
  /** Answer revokes at once (false: the task keeps the slots, as with records in flight to a cut target). */
  answerRevokes = true;
  readonly port: MessagePort;
  private readonly mine: MessagePort;
  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.mine = port2;
    port2.on('message', (bytes: Uint8Array) => {
      const msg = decode(bytes) as CoordinatorMessage;
      this.sent.push(msg);
      if (msg.type === 'revoke' && this.answerRevokes) this.post({ type: 'revoked', workerId: 0, slots: msg.slots });
    });
  }
  readonly ring = {
    drain: (handler: ProgressHandler) => {
      for (const p of this.progress.splice(0)) handler(...p);
      return 0;
    },
  } as unknown as ProgressRingReader;
  post(msg: WorkerMessage): void {
    const bytes = encode(msg);
    this.mine.postMessage(bytes, [bytes.buffer]);
  }
  assigns(): AssignMessage['partitions'] {
    return this.sent.flatMap((m) => (m.type === 'assign' ? m.partitions : []));
  }
  close(): void {
    this.port.close();
    this.mine.close();
  }
}

const open: { flow: FlowCoordinator; task: FakeTask }[] = [];
afterEach(async () => {
  for (const { flow, task } of open.splice(0)) {
    await flow.stop(Date.now() + 1000);
    task.close();
  }
});

async function setup(mode: 'at-least-once' | 'exactly-once' = 'at-least-once') {
  const config = parseConfig(
    [
      'clusters:',
      '  a: { bootstrap.servers: "a:9092" }',
      '  b: { bootstrap.servers: "b:9092" }',
      'flows:',
      `  - { source: a, target: b, mode: ${mode}, topics: { include: ["t"] } }`,
      'engine: { workers: 1, commitInterval: 10m }',
    ].join('\n'),
    'test.yaml',
    { env: {} },
  );
  const logged: string[] = [];
  const member = new FakeMember();
  const task = new FakeTask();
  const flow = new FlowCoordinator({
    flow: config.flows[0],
    source: config.clusters.get('a')!,
    target: config.clusters.get('b')!,
    // A revoke the task does not answer is given up after 50 ms (engine.shutdownTimeout in production).
    engine: { ...config.engine, shutdownTimeoutMs: 50 },
    sourceAdmin: admin({ t: 1 }),
    targetAdmin: admin({}),
    join: (handlers) => {
      member.handlers = handlers;
      return Promise.resolve(member);
    },
    launch: (workerId, onMessage) => new WorkerChannel(workerId, task.port, task.ring, onMessage),
    log: pino({ level: 'info' }, { write: (line: string) => logged.push(line) }),
    fatal: (reason) => logged.push(`FATAL ${reason}`),
  });
  open.push({ flow, task });
  await flow.start();
  return { flow, member, task, logged };
}

const wait = async (done: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), what);
};

/**
 * t-0 starts at its committed offset 100, the target acknowledges 100..599, the group refuses
 * the commit and takes the partition away (a session that expired in a cut), then hands it back.
 */
async function loseAndGetBack(member: FakeMember, task: FakeTask): Promise<void> {
  member.committedOffsets.set('t\u00000', 100);
  member.handlers.assigned([{ topic: 't', partition: 0 }]);
  await wait(() => task.assigns().length === 1, 'assigned');
  task.progress.push([task.assigns()[0].slot, 500, 100, 0, 1000, 50_000]);
  member.refuseCommits = true;
  await member.handlers.revoked([{ topic: 't', partition: 0 }], true);
  member.refuseCommits = false;
  member.handlers.assigned([{ topic: 't', partition: 0 }]);
  await wait(() => task.assigns().length === 2, 'assigned again');
}

test('at-least-once: a partition lost before its progress was committed resumes where the target acknowledged, not at the older commit', async () => {
  const { member, task } = await setup();
  await loseAndGetBack(member, task);
  assert.equal(task.assigns()[0].offset, 100n, 'first start: the committed offset');
  assert.equal(task.assigns()[1].offset, 600n, 'resumes after the last acknowledged record, not at 100: 500 fewer duplicates');
});

test('exactly-once: a lost partition resumes from the committed offsets only (its open transaction was aborted)', async () => {
  const { member, task } = await setup('exactly-once');
  await loseAndGetBack(member, task);
  assert.equal(task.assigns()[1].offset, 100n);
});

test('a partition whose revoke timed out is held until the task lets go of its slot, then started in a fresh slot', async () => {
  const { member, task, logged } = await setup();
  member.handlers.assigned([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
  await wait(() => task.assigns().length === 2, 'assigned');
  const slot = task.assigns()[0].slot;
  task.answerRevokes = false; // records in flight to an unreachable target
  await member.handlers.revoked([{ topic: 't', partition: 0 }], true);
  member.handlers.assigned([{ topic: 't', partition: 0 }]);
  await wait(() => logged.some((l) => l.includes('partition t-0 is held')), 'the wait is logged');
  assert.equal(task.assigns().length, 2, 'not assigned while the old slot drains');
  // The target is back: the task's late confirmation releases the slot, and the partition starts.
  task.post({ type: 'revoked', workerId: 0, slots: [slot] });
  await wait(() => task.assigns().length === 3, 'assigned once drained');
  assert.equal(task.assigns()[2].slot, slot, 'the released slot is reused');
  assert.ok(!logged.some((l) => l.includes('FATAL')), logged.join('\n'));
});
