/**
 * Topic ACL sync, MirrorMaker 2's MirrorSourceConnector.syncTopicAcls: every interval, the ACL
 * bindings of the replicated topics on the source are created for their remote topics on the
 * target.
 *
 * The mapping, as in MM2 (shouldReplicateAcl, targetAclBinding, downgradeAllowAllACL):
 * - Only TOPIC bindings with a LITERAL pattern are copied; PREFIXED bindings are not (a prefix
 *   does not name one topic, and renaming a prefix would grant more or less than on the source).
 * - ALLOW WRITE is never copied: only the replicator writes remote topics.
 * - ALLOW ALL becomes ALLOW READ (ALL includes WRITE).
 * - Everything else is copied as it is, with the principal and host unchanged: other ALLOW
 *   operations (READ, DESCRIBE, DESCRIBE_CONFIGS, but also ALTER, ALTER_CONFIGS, DELETE, CREATE)
 *   and DENY bindings of any operation (`copyDeny: false` leaves DENY bindings out; MM2 has no
 *   such switch).
 * - The resource is the remote topic, named by the replication policy; the binding is LITERAL.
 * - Nothing is ever deleted by MM2. strait deletes only with `propagateRemovals`, and then only
 *   bindings it saw as copies of source bindings during this process's life that are gone from
 *   the source since: a binding someone made by hand on the target is never touched, and neither
 *   is the replicator's own ALLOW WRITE (the mapping never produces ALLOW WRITE or ALLOW ALL).
 *
 * Differences from MM2, all on the safe side: MM2 applies its topic filter to the ACL's name, so
 * it also copies ACLs of topics that do not exist (yet) and turns the wildcard `*` into a literal
 * binding on a topic named `<source>.*`; strait copies the ACLs of the replicated topics it is
 * given. MM2 sends every binding at every interval (creating an existing one is a no-op); strait
 * reads the target's bindings first and creates only the missing ones, so the report counts real
 * changes and a repeated sync changes nothing.
 *
 * Pure logic over an adapter interface (the ACL client lives in src/kafka/).
 */
import type { Logger } from 'pino';
import type { TopicAcl } from '../kafka/config-admin.js';
import type { SyncProblem, SyncReport, SyncTopic } from './config-sync.js';
import { describeContext, describeError, KafkaError } from '../util/errors.js';

/** Proposed `sync.acls` section of a flow. */
export interface AclSyncSettings {
  /** MM2 `sync.topic.acls.enabled` (default true). */
  enabled: boolean;
  /** MM2 `sync.topic.acls.interval.seconds` (MM2 default 10 min; strait default 30 s). */
  intervalMs: number;
  /** Delete copies whose source binding was deleted (default false, as MM2, which never deletes). */
  propagateRemovals: boolean;
  /** Copy DENY bindings (default true, as MM2). */
  copyDeny: boolean;
}

export interface AclSyncReport extends SyncReport {
  created: number;
  deleted: number;
  /** False when the source cluster has no authorizer: there are no ACLs to copy (MM2 logs this once and carries on). */
  sourceAuthorizer: boolean;
}

/** What the ACL sync needs from the source cluster. */
export interface TopicAclReader {
  readonly cluster: string;
  /** Every TOPIC binding; undefined when the cluster has no authorizer. Throws on failure. */
  describeTopicAcls(): Promise<TopicAcl[] | undefined>;
}

/** What the ACL sync needs from the target cluster. */
export interface TopicAclWriter extends TopicAclReader {
  createAcls(acls: readonly TopicAcl[]): Promise<void>;
  deleteAcls(acls: readonly TopicAcl[]): Promise<number>;
}

/** Identity of a binding (two bindings with the same key are the same ACL). */
export function aclKey(a: TopicAcl): string {
  return [a.pattern, a.topic, a.principal, a.host, a.operation, a.permission].join('\u0000');
}

/**
 * MM2's mapping of one source binding to its copy on the target for `remoteTopic`; undefined when
 * it is not copied. The caller has checked that the binding's name is a replicated topic.
 */
export function mapAcl(acl: TopicAcl, remoteTopic: string, options: { copyDeny?: boolean } = {}): TopicAcl | undefined {
  if (acl.pattern !== 'LITERAL') return undefined;
  if (acl.permission === 'ALLOW' && acl.operation === 'WRITE') return undefined;
  if (acl.permission === 'DENY' && options.copyDeny === false) return undefined;
  const operation = acl.permission === 'ALLOW' && acl.operation === 'ALL' ? 'READ' : acl.operation;
  return { topic: remoteTopic, pattern: 'LITERAL', principal: acl.principal, host: acl.host, operation, permission: acl.permission };
}

/** The bindings each remote topic should have, from the source's bindings: remote topic -> key -> binding. */
export function desiredAcls(source: readonly TopicAcl[], topics: readonly SyncTopic[], options: { copyDeny?: boolean } = {}): Map<string, Map<string, TopicAcl>> {
  const remoteOf = new Map(topics.map((t) => [t.source, t.remote]));
  const out = new Map<string, Map<string, TopicAcl>>(topics.map((t) => [t.remote, new Map()]));
  for (const acl of source) {
    if (acl.pattern !== 'LITERAL') continue;
    const remote = remoteOf.get(acl.topic);
    if (remote === undefined) continue;
    const mapped = mapAcl(acl, remote, options);
    if (mapped) out.get(remote)!.set(aclKey(mapped), mapped);
  }
  return out;
}

export interface TopicAclSyncOptions {
  source: TopicAclReader;
  target: TopicAclWriter;
  propagateRemovals?: boolean;
  copyDeny?: boolean;
  /** Created and deleted bindings are logged at info; "no authorizer on the source" once. */
  log?: Logger;
}

function problem(cluster: string, err: unknown, topic?: string): SyncProblem {
  const retriable = (err as { retriable?: unknown }).retriable !== false;
  const ctx = topic === undefined ? { cluster } : { cluster, topic };
  // A KafkaError names its cluster (and topic) already; anything else gets them here.
  const message = err instanceof KafkaError ? describeError(err) : `${describeContext(ctx)}: ${describeError(err)}`;
  return { ...ctx, message, retriable };
}

function describeAcl(a: TopicAcl): string {
  return `${a.permission} ${a.principal} ${a.operation}${a.host === '*' ? '' : ` from ${a.host}`}`;
}

export class TopicAclSync {
  private readonly source: TopicAclReader;
  private readonly target: TopicAclWriter;
  private readonly propagateRemovals: boolean;
  private readonly copyDeny: boolean;
  private readonly log: Logger | undefined;
  /** Per remote topic, the copies it should have had at the last pass: what a removal may delete. */
  private readonly known = new Map<string, Map<string, TopicAcl>>();
  private noAuthorizerLogged = false;
  private running: Promise<AclSyncReport> | undefined;

  constructor(options: TopicAclSyncOptions) {
    this.source = options.source;
    this.target = options.target;
    this.propagateRemovals = options.propagateRemovals ?? false;
    this.copyDeny = options.copyDeny ?? true;
    this.log = options.log;
  }

  /**
   * One pass over `topics`. Never throws: a failure for one topic is in `errors` with its name, a
   * failure of a whole cluster is one entry without a topic. A call made while a pass is running
   * gets that pass's report.
   */
  syncOnce(topics: readonly SyncTopic[]): Promise<AclSyncReport> {
    this.running ??= this.pass(topics).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(topics: readonly SyncTopic[]): Promise<AclSyncReport> {
    const started = Date.now();
    const report: AclSyncReport = { topics: topics.length, topicsChanged: 0, changed: 0, created: 0, deleted: 0, sourceAuthorizer: true, errors: [], durationMs: 0 };
    try {
      await this.run(topics, report);
    } catch (err) {
      report.errors.push({ cluster: this.target.cluster, message: `${describeContext({ cluster: this.target.cluster })}: topic ACL sync failed: ${describeError(err)}`, retriable: true });
    }
    report.durationMs = Date.now() - started;
    return report;
  }

  private async run(topics: readonly SyncTopic[], report: AclSyncReport): Promise<void> {
    let sourceAcls: TopicAcl[] | undefined;
    try {
      sourceAcls = await this.source.describeTopicAcls();
    } catch (err) {
      report.errors.push(problem(this.source.cluster, err));
      return;
    }
    if (sourceAcls === undefined) {
      report.sourceAuthorizer = false;
      if (!this.noAuthorizerLogged) {
        this.noAuthorizerLogged = true;
        this.log?.info({ cluster: this.source.cluster }, `topic ACL sync: cluster ${this.source.cluster} has no authorizer, so there are no topic ACLs to copy (turn the ACL sync off to skip this check)`);
      }
      return;
    }
    const desired = desiredAcls(sourceAcls, topics, { copyDeny: this.copyDeny });
    const wanted = [...desired.values()].some((m) => m.size > 0);
    const mayDelete = this.propagateRemovals && [...this.known.values()].some((m) => m.size > 0);
    if (!wanted && !mayDelete) {
      for (const t of topics) this.known.set(t.remote, new Map());
      return; // nothing to do: do not even ask the target (which may have no authorizer)
    }

    let targetAcls: TopicAcl[] | undefined;
    try {
      targetAcls = await this.target.describeTopicAcls();
    } catch (err) {
      report.errors.push(problem(this.target.cluster, err));
      return;
    }
    if (targetAcls === undefined) {
      report.errors.push({ cluster: this.target.cluster, message: `${describeContext({ cluster: this.target.cluster })}: the cluster has no authorizer, so topic ACLs cannot be copied to it (turn the ACL sync off, or enable an authorizer)`, retriable: false });
      return;
    }
    const existing = new Map<string, Set<string>>();
    for (const a of targetAcls) {
      if (a.pattern !== 'LITERAL' || !desired.has(a.topic)) continue;
      let set = existing.get(a.topic);
      if (!set) existing.set(a.topic, (set = new Set()));
      set.add(aclKey(a));
    }

    for (const t of topics) {
      const want = desired.get(t.remote)!;
      const have = existing.get(t.remote) ?? new Set<string>();
      const create = [...want].filter(([k]) => !have.has(k)).map(([, a]) => a);
      const before = this.known.get(t.remote);
      const remove = this.propagateRemovals && before ? [...before].filter(([k]) => !want.has(k) && have.has(k)).map(([, a]) => a) : [];
      const next = new Map(want);
      let changed = 0;
      if (create.length > 0) {
        try {
          await this.target.createAcls(create);
          report.created += create.length;
          changed += create.length;
          this.log?.info({ cluster: this.target.cluster, topic: t.remote, created: create.map(describeAcl) }, `topic ACL sync: ${t.remote} on ${this.target.cluster}: created ${create.map(describeAcl).join(', ')}`);
        } catch (err) {
          report.errors.push(problem(this.target.cluster, err, t.remote));
        }
      }
      if (remove.length > 0) {
        try {
          await this.target.deleteAcls(remove);
          report.deleted += remove.length;
          changed += remove.length;
          this.log?.info({ cluster: this.target.cluster, topic: t.remote, deleted: remove.map(describeAcl) }, `topic ACL sync: ${t.remote} on ${this.target.cluster}: deleted ${remove.map(describeAcl).join(', ')} (gone from ${t.source} on ${this.source.cluster})`);
        } catch (err) {
          report.errors.push(problem(this.target.cluster, err, t.remote));
          for (const a of remove) next.set(aclKey(a), a); // still ours to delete next time
        }
      }
      this.known.set(t.remote, next);
      if (changed > 0) {
        report.changed += changed;
        report.topicsChanged++;
      }
    }
  }
}
