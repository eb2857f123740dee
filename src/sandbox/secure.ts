/**
 * The broker settings of a secured sandbox cluster: extra listeners with TLS (SSL, SASL_SSL,
 * optionally requiring client certificates) and SASL (PLAIN and SCRAM-SHA-512 users), and Kafka's
 * KRaft authorizer (StandardAuthorizer) with super users. For tests and demos of what needs
 * authentication or ACLs; nothing here is meant for a real deployment. The certificates come
 * from certificates.ts, ACLs are granted with acls.ts; this module only says what the broker runs.
 *
 * The built-in PLAINTEXT listener (inter-broker) and CONTROLLER listener stay unauthenticated, so
 * the broker reaches its own controller as User:ANONYMOUS; that principal is therefore a super
 * user, or the node could not even register with its controller. The consequence is deliberate:
 * the PLAINTEXT port remains an all-powerful back door for test set-up (Kafka's tools, the
 * default sandbox clients), and authentication and authorization are exercised on the secured
 * listeners, where every principal except the super users is subject to ACLs.
 *
 * Users and passwords never appear on a process command line:
 * - PLAIN users live in the listener's JAAS config, a broker property in server.properties;
 * - SCRAM-SHA-512 users are created when the data dir is formatted (`kafka-storage format
 *   --add-scram`), with the arguments in a file only the owner can read (cluster.ts).
 * With mTLS the principal is the certificate's common name (`CN=alice` is `User:alice`), so one
 * set of ACLs serves certificate and password users alike.
 */
import { SandboxError } from '../util/errors.js';
import { DEFAULT_HOST, type ListenerSpec, type SecurityProtocol } from './broker-config.js';
import type { PropertyValue } from './properties.js';
import type { ClusterCustomization } from './sandbox.js';

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
/** The principal of the unauthenticated PLAINTEXT and CONTROLLER listeners. */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-512';
export type SecuredProtocol = Exclude<SecurityProtocol, 'PLAINTEXT'>;

export interface SecureListener {
  /** Listener name; default the protocol (SASL_SSL, ...). */
  name?: string;
  port: number;
  protocol: SecuredProtocol;
  /** SASL listeners: the mechanisms offered. Default: PLAIN if there are PLAIN users, SCRAM-SHA-512 if there are SCRAM users. */
  mechanisms?: readonly SaslMechanism[];
  /** TLS listeners: `required` makes every client present a certificate the truststore trusts (mTLS). Default none. */
  clientAuth?: 'required' | 'requested' | 'none';
}

/** The broker's TLS material (PEM files; see certificates.ts). */
export interface BrokerTls {
  /** Private key and certificate chain in one file. */
  keystoreFile: string;
  /** The passphrase of the key in keystoreFile, if it is encrypted. */
  keyPassword?: string;
  /** CA certificates the broker trusts for client certificates. */
  truststoreFile: string;
}

export interface SecureClusterOptions {
  listeners: readonly SecureListener[];
  /** SASL/PLAIN users: name -> password. */
  plainUsers?: Readonly<Record<string, string>>;
  /** SASL/SCRAM-SHA-512 users: name -> password. */
  scramUsers?: Readonly<Record<string, string>>;
  /** User names that bypass ACLs. Default: ["admin"] if there is such a user. */
  superUsers?: readonly string[];
  /** Enable StandardAuthorizer (default true); false gives authentication without authorization. */
  authorizer?: boolean;
  /** Required when a listener uses TLS. */
  tls?: BrokerTls;
}

// JAAS option values are double-quoted and SCRAM credentials are `[name=...,password=...]`
// lists; keeping names and passwords to a plain alphabet means no quoting rules to get wrong.
const USER_NAME = /^[A-Za-z0-9._-]+$/;
const PLAIN_PASSWORD = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // printable ASCII without space, " and \
const SCRAM_PASSWORD = /^[A-Za-z0-9._~!@$%^&*+-]+$/;

function checkUsers(users: Readonly<Record<string, string>>, mechanism: SaslMechanism, password: RegExp, allowed: string): void {
  for (const [name, pw] of Object.entries(users)) {
    if (!USER_NAME.test(name)) throw new SandboxError(`${mechanism} user name "${name}" must be letters, digits, ".", "_" or "-"`);
    // The password itself is never part of a message.
    if (!password.test(pw)) throw new SandboxError(`the password of ${mechanism} user "${name}" must be ${allowed}`);
  }
}

const isTls = (p: SecuredProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
const isSasl = (p: SecuredProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

/** The additions to a sandbox cluster for secured listeners, users and (by default) ACLs. */
export function secureCustomization(options: SecureClusterOptions): ClusterCustomization {
  const plain = options.plainUsers ?? {};
  const scram = options.scramUsers ?? {};
  checkUsers(plain, 'PLAIN', PLAIN_PASSWORD, 'printable ASCII without spaces, quotes or backslashes');
  checkUsers(scram, 'SCRAM-SHA-512', SCRAM_PASSWORD, 'letters, digits and ._~!@$%^&*+-');
  const names = [...new Set([...Object.keys(plain), ...Object.keys(scram)])];
  if (options.listeners.length === 0) throw new SandboxError('a secured cluster needs at least one secured listener');

  const properties: Record<string, PropertyValue> = {};
  const listeners: ListenerSpec[] = [];
  const allMechanisms = new Set<SaslMechanism>();
  for (const l of options.listeners) {
    const name = l.name ?? l.protocol;
    const prefix = `listener.name.${name.toLowerCase()}`;
    listeners.push({ name, port: l.port, protocol: l.protocol });
    if (isTls(l.protocol)) {
      if (options.tls === undefined) throw new SandboxError(`listener ${name} uses TLS, but no broker certificate was given (tls)`);
      if (l.clientAuth !== undefined) properties[`${prefix}.ssl.client.auth`] = l.clientAuth;
    } else if (l.clientAuth !== undefined) {
      throw new SandboxError(`listener ${name} (${l.protocol}) has no TLS, so it cannot ask for client certificates`);
    }
    if (!isSasl(l.protocol)) continue;
    const mechanisms = l.mechanisms ?? [...(Object.keys(plain).length > 0 ? ['PLAIN' as const] : []), ...(Object.keys(scram).length > 0 ? ['SCRAM-SHA-512' as const] : [])];
    if (mechanisms.length === 0) throw new SandboxError(`SASL listener ${name} needs at least one PLAIN or SCRAM-SHA-512 user`);
    properties[`${prefix}.sasl.enabled.mechanisms`] = mechanisms.join(',');
    for (const m of mechanisms) {
      allMechanisms.add(m);
      if (m === 'PLAIN') {
        if (Object.keys(plain).length === 0) throw new SandboxError(`listener ${name} offers PLAIN, but there are no PLAIN users`);
        properties[`${prefix}.plain.sasl.jaas.config`] = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(plain)
          .map(([user, password]) => `user_${user}="${password}"`)
          .join(' ')};`;
      } else {
        if (Object.keys(scram).length === 0) throw new SandboxError(`listener ${name} offers SCRAM-SHA-512, but there are no SCRAM users`);
        // The credentials are in the cluster metadata (scramFormatArguments); the module needs no options.
        properties[`${prefix}.scram-sha-512.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
      }
    }
  }
  // Kafka's default is GSSAPI, which would need Kerberos settings.
  if (allMechanisms.size > 0) properties['sasl.enabled.mechanisms'] = [...allMechanisms].join(',');
  if (options.tls !== undefined && options.listeners.some((l) => isTls(l.protocol))) {
    properties['ssl.keystore.type'] = 'PEM';
    properties['ssl.keystore.location'] = options.tls.keystoreFile;
    if (options.tls.keyPassword !== undefined) properties['ssl.key.password'] = options.tls.keyPassword;
    properties['ssl.truststore.type'] = 'PEM';
    properties['ssl.truststore.location'] = options.tls.truststoreFile;
    // A client certificate's CN is its user name, as a SASL login's is.
    properties['ssl.principal.mapping.rules'] = 'RULE:^CN=([^,]+)$/$1/,DEFAULT';
  }
  if (options.authorizer !== false) {
    const superUsers = options.superUsers ?? (names.includes('admin') ? ['admin'] : []);
    for (const u of superUsers) if (!USER_NAME.test(u)) throw new SandboxError(`super user "${u}" must be letters, digits, ".", "_" or "-"`);
    properties['authorizer.class.name'] = STANDARD_AUTHORIZER;
    properties['super.users'] = [...superUsers.map((u) => `User:${u}`), ANONYMOUS_PRINCIPAL].join(';');
    properties['allow.everyone.if.no.acl.found'] = false;
  }
  const formatArguments = scramFormatArguments(scram);
  return { listeners, properties, ...(formatArguments.length > 0 ? { formatArguments } : {}) };
}

/** `kafka-storage format` arguments that create the SCRAM-SHA-512 users (KIP-900). */
export function scramFormatArguments(users: Readonly<Record<string, string>>): string[] {
  return Object.entries(users).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
}

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

/** A SASL_PLAINTEXT listener with PLAIN users (and, by default, ACLs): the simplest secured cluster. */
export function saslPlainCustomization(options: SaslPlainOptions): ClusterCustomization {
  const names = Object.keys(options.users);
  if (names.length === 0) throw new SandboxError('a SASL/PLAIN listener needs at least one user');
  for (const u of options.superUsers ?? []) if (!names.includes(u)) throw new SandboxError(`super user "${u}" is not one of the SASL users (${names.join(', ')})`);
  return secureCustomization({
    listeners: [{ name: options.listenerName ?? 'SASL_PLAINTEXT', port: options.port, protocol: 'SASL_PLAINTEXT', mechanisms: ['PLAIN'] }],
    plainUsers: options.users,
    ...(options.superUsers ? { superUsers: options.superUsers } : {}),
    ...(options.authorizer === undefined ? {} : { authorizer: options.authorizer }),
  });
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

/** What a client needs to verify a TLS listener, and, for mTLS, to present its own certificate. */
export interface ClientTls {
  caFile: string;
  certFile?: string;
  keyFile?: string;
  keyPassword?: string;
}

function clientTlsProperties(tls: ClientTls): Record<string, string> {
  const out: Record<string, string> = { 'ssl.ca.location': tls.caFile };
  if (tls.certFile !== undefined) out['ssl.certificate.location'] = tls.certFile;
  if (tls.keyFile !== undefined) out['ssl.key.location'] = tls.keyFile;
  if (tls.keyPassword !== undefined) out['ssl.key.password'] = tls.keyPassword;
  return out;
}

/** librdkafka client properties for `user` with SCRAM-SHA-512 on a SASL_SSL listener. */
export function saslSslClientProperties(bootstrap: string, user: string, password: string, tls: ClientTls): Record<string, string> {
  return {
    'bootstrap.servers': bootstrap,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.username': user,
    'sasl.password': password,
    ...clientTlsProperties(tls),
  };
}

/** librdkafka client properties for an SSL listener; with a client certificate for mTLS. */
export function sslClientProperties(bootstrap: string, tls: ClientTls): Record<string, string> {
  return { 'bootstrap.servers': bootstrap, 'security.protocol': 'SSL', ...clientTlsProperties(tls) };
}
