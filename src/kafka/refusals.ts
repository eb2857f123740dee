/**
 * What a secured cluster refused, said so that a person can fix it: a SASL login, a TLS
 * certificate in either direction, or an ACL. librdkafka reports a refused login or handshake
 * only in its log (the call that needed the connection fails with a bare "broker transport
 * failure", the same as for an unreachable cluster, and the binding's error events carry only the
 * error code's name), so RefusalWatch reads each client's log for the lines that tell; refused
 * permissions come back as error codes and are explained by explainAuthorization.
 *
 * Nothing here ever repeats a configuration value that could be a secret: explanations name
 * settings, the user name and the broker address, never a password or a key.
 */
import { KafkaError } from '../util/errors.js';

/** Kafka error codes of refused permissions, and the kind of resource each refuses. */
const AUTHORIZATION_CODES: Readonly<Record<number, { name: string; resource: AccessResource }>> = {
  29: { name: 'TOPIC_AUTHORIZATION_FAILED', resource: 'topic' },
  30: { name: 'GROUP_AUTHORIZATION_FAILED', resource: 'group' },
  31: { name: 'CLUSTER_AUTHORIZATION_FAILED', resource: 'cluster' },
  53: { name: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', resource: 'transactional-id' },
};
const AUTHORIZATION_NAMES = new Map(Object.entries(AUTHORIZATION_CODES).map(([code, v]) => [v.name, Number(code)]));

/** A client's librdkafka properties (only names and non-secret settings are ever read out). */
type ClientProps = Readonly<Record<string, string | number | boolean | undefined>>;

export type AccessResource = 'topic' | 'group' | 'cluster' | 'transactional-id';

/** One permission a call needs: AclCommand's operation name on a resource. */
export interface Access {
  operation: 'Read' | 'Write' | 'Create' | 'Delete' | 'Describe' | 'DescribeConfigs' | 'AlterConfigs' | 'Alter' | 'IdempotentWrite';
  resource: AccessResource;
  /** The resource names; none for the cluster (or when not known). */
  names?: readonly string[];
}

function prop(config: ClientProps, name: string): string | undefined {
  const v = config[name];
  return v === undefined ? undefined : String(v);
}

function protocolOf(config: ClientProps): string {
  return (prop(config, 'security.protocol') ?? 'plaintext').toUpperCase();
}

function mechanismOf(config: ClientProps): string {
  return (prop(config, 'sasl.mechanism') ?? prop(config, 'sasl.mechanisms') ?? 'GSSAPI').toUpperCase();
}

/** The principal the brokers see for these client settings, as ACLs name it. */
export function principalOf(config: ClientProps): string {
  const protocol = protocolOf(config);
  const user = prop(config, 'sasl.username');
  if (protocol.startsWith('SASL')) return user !== undefined && mechanismOf(config) !== 'OAUTHBEARER' ? `User:${user}` : "strait's SASL principal";
  if (protocol === 'SSL' && (prop(config, 'ssl.certificate.location') !== undefined || prop(config, 'ssl.certificate.pem') !== undefined || prop(config, 'ssl.keystore.location') !== undefined)) {
    return "the principal of strait's client certificate (User:CN=... unless the brokers map it with ssl.principal.mapping.rules)";
  }
  return 'User:ANONYMOUS';
}

/** The Kafka error code of an authorization failure, from a numeric code or a Kafka error name. */
export function authorizationCode(code: number | string | undefined): number | undefined {
  if (typeof code === 'number') return AUTHORIZATION_CODES[code] === undefined ? undefined : code;
  if (code === undefined) return undefined;
  return AUTHORIZATION_NAMES.get(code.replace(/^KAFKA_/, ''));
}

const RESOURCE_FLAG: Record<AccessResource, string> = { topic: '--topic', group: '--group', 'transactional-id': '--transactional-id', cluster: '--cluster' };

/**
 * For a refused permission (a Kafka authorization error code), what was refused and the ACL that
 * fixes it; undefined for any other error. `needed` lists what the failed call needs; the entry of
 * the refused resource type is the one explained.
 */
export function explainAuthorization(code: number | string | undefined, needed: readonly Access[], cluster: string, config: ClientProps): string | undefined {
  const c = authorizationCode(code);
  if (c === undefined) return undefined;
  const { name, resource } = AUTHORIZATION_CODES[c];
  const principal = principalOf(config);
  const access = needed.filter((a) => a.resource === resource);
  const operations = access.length > 0 ? [...new Set(access.map((a) => a.operation))] : undefined;
  const names = [...new Set(access.flatMap((a) => a.names ?? []))];
  // Several names: the refusal may be for any of them (a refused fetch does not say which topic).
  const listed = `${names.slice(0, 5).map((n) => `"${n}"`).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
  const what = resource === 'cluster' ? 'the cluster' : names.length === 1 ? `${resource} ${listed}` : names.length > 1 ? `one or more of the ${resource}s ${listed}` : `a ${resource}`;
  const refused = operations ? `${operations.join(' and ')} on ${what}` : `access to ${what}`;
  const flag = resource === 'cluster' ? '--cluster' : `${RESOURCE_FLAG[resource]} ${names.length === 1 ? names[0] : `<${resource}>`}`;
  const ops = (operations ?? ['<operation>']).map((o) => `--operation ${o}`).join(' ');
  const grantee = principal.startsWith('User:') ? principal : '<principal>';
  return (
    `the cluster refused ${refused} to ${principal} (${name}). ` +
    `Fix: grant it with an ACL on cluster "${cluster}", e.g. kafka-acls.sh --bootstrap-server <broker> --command-config <admin client properties> --add --allow-principal ${grantee} ${ops} ${flag}`
  );
}

/**
 * For one of librdkafka's log or error texts, what the cluster (or strait) refused about the
 * connection and what to change; undefined when the text is about something else.
 */
export function explainConnectionRefusal(text: string, cluster: string, config: ClientProps): string | undefined {
  const at = /^(?:\[thrd:[^\]]*\]: )?((?:[a-z_]+:\/\/)?[^\s/]+(?::\d+)?)\/[^:]*: /i.exec(text)?.[1];
  const broker = at === undefined ? 'a broker' : `broker ${at}`;
  const setting = (name: string): string => `clusters.${cluster}.${name}`;
  const reason = (m: RegExpExecArray | null): string => (m?.[1] ?? '').replace(/\s*\(after \d+ms in state .*\)\s*$/, '').trim();

  let m = /SASL authentication error: (.*)/.exec(text);
  if (m || /Authentication failed|SASL_AUTHENTICATION_FAILED|invalid credentials/i.test(text)) {
    const mech = mechanismOf(config);
    const user = prop(config, 'sasl.username');
    const create = mech.startsWith('SCRAM')
      ? ` (a ${mech} user exists only once created on the cluster, e.g. kafka-configs.sh --alter --add-config '${mech}=[password=...]' --entity-type users --entity-name ${user ?? '<user>'})`
      : '';
    return `the cluster refused strait's SASL ${mech} login${user === undefined ? '' : ` as user "${user}"`} (${reason(m) || 'authentication failed'}). Fix: check ${setting('sasl.username')} and ${setting('sasl.password')}${create}`;
  }
  m = /SASL (\S+) mechanism handshake failed: .*supported mechanisms: ([^\s(]+)/.exec(text);
  if (m) return `the cluster does not offer SASL mechanism ${m[1]} (it offers ${m[2]}). Fix: set ${setting('sasl.mechanism')} to one of ${m[2]}`;
  if (/certificate verify failed/i.test(text)) {
    const why = /SSL handshake failed: (.*?certificate verify failed[^:]*)/i.exec(text)?.[1] ?? 'certificate verify failed';
    return (
      `strait does not trust the TLS certificate of ${broker} (${why}). ` +
      `Fix: set ${setting('ssl.ca.location')} to the PEM file of the CA that signed the brokers' certificates (or give it inline as ssl.ca.pem); if it is that CA, the certificate may not name the host strait connects to (its subjectAltName)`
    );
  }
  if (/alert (?:bad certificate|certificate required|unknown ca|certificate unknown|handshake failure)|peer did not return a certificate/i.test(text)) {
    const why = /(sslv3 alert [^:(]*|tlsv1[3]? alert [^:(]*)/i.exec(text)?.[1]?.trim() ?? 'the handshake was refused';
    const given = prop(config, 'ssl.certificate.location') !== undefined || prop(config, 'ssl.certificate.pem') !== undefined || prop(config, 'ssl.keystore.location') !== undefined;
    return (
      `${broker} refused the TLS handshake (${why}): it requires a client certificate it trusts, and strait ${given ? 'presented one the broker does not trust' : 'presented none'}. ` +
      `Fix: set ${setting('ssl.certificate.location')} and ${setting('ssl.key.location')} (and ssl.key.password if the key is encrypted) to a certificate signed by a CA in the brokers' truststore`
    );
  }
  if (/Private key requires password but no password configured/i.test(text)) {
    return `${setting('ssl.key.location')} holds an encrypted key, but ${setting('ssl.key.password')} is not set. Fix: set it to the key's passphrase (e.g. ssl.key.password: \${file:/run/secrets/key-passphrase})`;
  }
  if (/ssl\.(key|certificate|ca)\.(location|pem) failed|ssl\.keystore\.location failed|PEM lib|bad decrypt/i.test(text)) {
    const which = /(ssl\.[a-z.]+) failed/i.exec(text)?.[1] ?? 'ssl.key.location';
    return `strait cannot load the TLS material of ${setting(which)}: the file is not PEM of the right kind, or (for a key) ${setting('ssl.key.password')} is not its passphrase. Fix the file or the passphrase`;
  }
  if (/incorrect security\.protocol configuration|wrong version number|SSL handshake failed: Disconnected/i.test(text)) {
    return `${broker} closed the connection during the first request: ${setting('security.protocol')} (${protocolOf(config)}) probably does not match that listener (a TLS client at a plaintext port, or the other way round). Fix: set security.protocol to the listener's protocol`;
  }
  return undefined;
}

const TLS_FILES = ['ssl.key.location', 'ssl.key.pem', 'ssl.certificate.location', 'ssl.certificate.pem', 'ssl.ca.location', 'ssl.keystore.location'];

/**
 * Why librdkafka would not make a client at all. Its admin client says only "Erroneous state"
 * then (the reason goes to a log line that arrives too late), and the usual cause is TLS material
 * it cannot load, so the settings that name such material are listed.
 */
export function explainClientCreation(message: string, cluster: string, config: ClientProps): string | undefined {
  const direct = explainConnectionRefusal(message, cluster, config);
  if (direct !== undefined) return direct;
  const files = TLS_FILES.filter((name) => prop(config, name) !== undefined);
  if (files.length === 0) return undefined;
  return `librdkafka did not accept the TLS settings of clusters.${cluster}: check that ${files.join(', ')} ${files.length === 1 ? 'is' : 'are'} PEM it can read, and that ssl.key.password is the passphrase of an encrypted key`;
}

interface LogEvent {
  severity: number;
  fac?: string;
  message: string;
}

/** A binding client's log events (librdkafka's log lines, delivered by the binding's event callback). */
export interface LoggingClient {
  on(event: 'event.log', listener: (e: LogEvent) => void): unknown;
}

/** How long an explained refusal stays the likely reason for a failed call. */
const RECENT_MS = 60_000;
/** A refusal that keeps happening is reported again after this long. */
const REPORT_EVERY_MS = 30_000;

/**
 * Reads one client's log for refused connections. `latest()` says why a call that needed a
 * connection failed; `report`, when given, hears of each refusal as it happens (at most every
 * 30 s for the same one).
 */
export class RefusalWatch {
  private last: { explanation: string; at: number; reportedAt: number } | undefined;

  constructor(
    private readonly cluster: string,
    private readonly config: ClientProps,
    private readonly report?: (err: KafkaError) => void,
  ) {}

  attach(client: LoggingClient): void {
    client.on('event.log', (e) => {
      // librdkafka logs refused connections at error level (3); the rest is noise here.
      if (e.severity > 4) return;
      this.observe(e.message);
    });
  }

  /** Takes one log or error text; exported for clients whose errors carry the text. */
  observe(text: string): void {
    const explanation = explainConnectionRefusal(text, this.cluster, this.config);
    if (explanation === undefined) return;
    const now = Date.now();
    const repeat = this.last !== undefined && this.last.explanation === explanation && now - this.last.reportedAt < REPORT_EVERY_MS;
    this.last = { explanation, at: now, reportedAt: repeat ? this.last!.reportedAt : now };
    if (!repeat) this.report?.(new KafkaError('REFUSED', explanation, { cluster: this.cluster }, true));
  }

  /** The explanation of the latest refusal of the last minute, if any. */
  latest(): string | undefined {
    return this.last !== undefined && Date.now() - this.last.at < RECENT_MS ? this.last.explanation : undefined;
  }

  /**
   * A failed call's message with the reason behind it: a refused permission (from the error
   * code and what the call needs), else a refused connection seen in the log, else nothing added.
   */
  describe(message: string, code: number | string | undefined, needed: readonly Access[] = []): string {
    const why = explainAuthorization(code, needed, this.cluster, this.config) ?? explainConnectionRefusal(message, this.cluster, this.config) ?? this.latest();
    return why === undefined ? message : `${message}: ${why}`;
  }
}
