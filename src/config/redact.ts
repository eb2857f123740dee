/**
 * Which configuration values are secrets. A value whose property name contains one of these words
 * (sasl.password, ssl.key.pem, ssl.keystore.password, sasl.jaas.config, *.client.secret,
 * sasl.oauthbearer.assertion.private.key.pem, ...) is never shown: error messages print
 * `[redacted]` instead. The match is deliberately broad (ssl.key.location is only a path): showing
 * one harmless path less is cheaper than one leaked credential.
 */
export const REDACTED = '[redacted]';

const SECRET_WORDS = /password|secret|token|jaas|key/i;

export function isSecretName(name: string): boolean {
  return SECRET_WORDS.test(name);
}
