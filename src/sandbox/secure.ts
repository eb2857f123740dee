/**
 * A secured sandbox cluster: an extra SASL_PLAINTEXT listener with SASL/PLAIN users, and Kafka's
 * KRaft authorizer (StandardAuthorizer) with super users. For tests and demos of what needs
 * authentication or ACLs (the topic ACL sync); nothing here is meant for a real deployment.
 *
 * The built-in PLAINTEXT listener (inter-broker) and CONTROLLER listener stay unauthenticated, so
 * the broker reaches its own controller as User:ANONYMOUS; that principal is therefore a super
 * user, or the node could not even register with its controller. The consequence is deliberate:
 * the PLAINTEXT port remains an all-powerful back door for test set-up (Kafka's tools, the
 * default sandbox clients), and authorization is exercised on the SASL listener, where every
 * principal except the super users is subject to ACLs.
 *
 * The users live in the listener's JAAS config (a broker property), not in a JAAS file or JVM
 * flags: nothing to clean up, and no password on a process command line. They are written to the
 * cluster's server.properties like every other broker setting.
 */
import { SandboxError } from '../util/errors.js';
import { DEFAULT_HOST } from './broker-config.js';
import type { PropertyValue } from './properties.js';
import type { ClusterCustomization } from './sandbox.js';

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
/** The principal of the unauthenticated PLAINTEXT and CONTROLLER listeners. */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export interface SaslPlainOptions {
  /** Port of the SASL_PLAINTEXT listener. */
  port: number;
  /** SASL/PLAIN users: name -> password. */
  users: Readonly<Record<string, string>>;
  /** User names (keys of `users`) that bypass ACLs. Default: ["admin"] if there is such a user. */
  superUsers?: readonly string[];
  /** Listener name; default SASL_PLAINTEXT. */
  listenerName?: string;
  /** Enable StandardAuthorizer (default true); false gives authentication without authorization. */
  authorizer?: boolean;
}

// JAAS option values are double-quoted; keeping names and passwords to a plain alphabet means
// no quoting rules to get wrong.
const USER_NAME = /^[A-Za-z0-9._-]+$/;
const PASSWORD = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // printable ASCII without space, " and \

/** The additions to a sandbox cluster for a SASL/PLAIN listener (and, by default, ACLs). */
export function saslPlainCustomization(options: SaslPlainOptions): ClusterCustomization {
  const listener = options.listenerName ?? 'SASL_PLAINTEXT';
  const names = Object.keys(options.users);
  if (names.length === 0) throw new SandboxError('a SASL/PLAIN listener needs at least one user');
  for (const [name, password] of Object.entries(options.users)) {
    if (!USER_NAME.test(name)) throw new SandboxError(`SASL user name "${name}" must be letters, digits, ".", "_" or "-"`);
    // The password itself is never part of a message.
    if (!PASSWORD.test(password)) throw new SandboxError(`the password of SASL user "${name}" must be printable ASCII without spaces, quotes or backslashes`);
  }
  const superUsers = options.superUsers ?? (names.includes('admin') ? ['admin'] : []);
  for (const u of superUsers) if (!names.includes(u)) throw new SandboxError(`super user "${u}" is not one of the SASL users (${names.join(', ')})`);

  const prefix = `listener.name.${listener.toLowerCase()}`;
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(options.users)
    .map(([name, password]) => `user_${name}="${password}"`)
    .join(' ')};`;
  const properties: Record<string, PropertyValue> = {
    // Kafka's default is GSSAPI, which would need Kerberos settings for the new listener.
    'sasl.enabled.mechanisms': 'PLAIN',
    [`${prefix}.sasl.enabled.mechanisms`]: 'PLAIN',
    [`${prefix}.plain.sasl.jaas.config`]: jaas,
  };
  if (options.authorizer !== false) {
    properties['authorizer.class.name'] = STANDARD_AUTHORIZER;
    properties['super.users'] = [...superUsers.map((u) => `User:${u}`), ANONYMOUS_PRINCIPAL].join(';');
    properties['allow.everyone.if.no.acl.found'] = false;
  }
  return { listeners: [{ name: listener, port: options.port, protocol: 'SASL_PLAINTEXT' }], properties };
}

/** `host:port` of a sandbox listener, for bootstrap.servers. */
export function listenerAddress(port: number, host: string = DEFAULT_HOST): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** librdkafka client properties for `user` on a SASL/PLAIN listener. */
export function saslPlainClientProperties(bootstrap: string, user: string, password: string): Record<string, string> {
  return {
    'bootstrap.servers': bootstrap,
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanisms': 'PLAIN',
    'sasl.username': user,
    'sasl.password': password,
  };
}
