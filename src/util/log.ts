/**
 * The process logger: pino, JSON lines by default, pretty when stdout is a terminal
 * (or STRAIT_LOG_PRETTY=1). Level from STRAIT_LOG_LEVEL (default info).
 * Secrets never reach the log: every field named like a password, secret, token or key
 * is censored by pino's redaction before it is written.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  '*.password', '*.secret', '*.token', '*["sasl.password"]', '*["ssl.key.password"]', '*["ssl.keystore.password"]',
  '*["ssl.key.pem"]', '*["sasl.oauthbearer.client.secret"]', '*["sasl.jaas.config"]',
];

function makeLogger(): Logger {
  const pretty = process.env['STRAIT_LOG_PRETTY'] === '1' || (process.env['STRAIT_LOG_PRETTY'] !== '0' && process.stdout.isTTY === true);
  const level = process.env['STRAIT_LOG_LEVEL'] ?? 'info';
  const options = { level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options);
}

export const log: Logger = makeLogger();
