/**
 * Where the sandbox lives and which ports it uses, from (highest first) explicit options such
 * as CLI flags, environment variables, then defaults. Pure: env and cwd are parameters.
 *
 * Each cluster takes two consecutive ports: N for clients (PLAINTEXT) and N+1 for its KRaft
 * controller, so one number per cluster is all a user chooses.
 */
import { ConfigError } from '../util/errors.js';
import { defaultSandboxDir } from './paths.js';

export const SANDBOX_CLUSTER_NAMES = ['source', 'target'] as const;
export type SandboxClusterName = (typeof SANDBOX_CLUSTER_NAMES)[number];

export const DEFAULT_SANDBOX_PORTS: Readonly<Record<SandboxClusterName, number>> = { source: 19092, target: 19094 };

export const SANDBOX_PORT_ENV: Readonly<Record<SandboxClusterName, string>> = {
  source: 'STRAIT_SANDBOX_SOURCE_PORT',
  target: 'STRAIT_SANDBOX_TARGET_PORT',
};

export const SANDBOX_PORT_FLAG: Readonly<Record<SandboxClusterName, string>> = {
  source: '--source-port',
  target: '--target-port',
};

export function isSandboxClusterName(name: string): name is SandboxClusterName {
  return (SANDBOX_CLUSTER_NAMES as readonly string[]).includes(name);
}

export function controllerPortFor(port: number): number {
  return port + 1;
}

/** A client port: an integer from 1 to 65534 (its controller takes the next one). */
export function parsePort(value: string | number, where: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65534) {
    throw new ConfigError([
      {
        path: where,
        message: 'must be a TCP port from 1 to 65534 (the cluster also uses the next port for its controller)',
        value,
        example: `${where.startsWith('--') ? `${where} ` : `${where}=`}19092`,
      },
    ]);
  }
  return n;
}

export interface SandboxOverrides {
  /** The sandbox folder (state, configs, data, logs). */
  dir?: string;
  sourcePort?: number;
  targetPort?: number;
}

export interface SandboxSettings {
  dir: string;
  /** Client port per cluster; the controller port is the next one. */
  ports: Record<SandboxClusterName, number>;
  /** Whether the port was asked for (option or env) rather than defaulted. */
  explicit: Record<SandboxClusterName, boolean>;
}

export function resolveSandboxSettings(
  overrides: SandboxOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): SandboxSettings {
  const dir = overrides.dir !== undefined ? defaultSandboxDir({ STRAIT_SANDBOX_DIR: overrides.dir }, cwd) : defaultSandboxDir(env, cwd);
  const given: Record<SandboxClusterName, number | undefined> = { source: overrides.sourcePort, target: overrides.targetPort };
  const ports = { ...DEFAULT_SANDBOX_PORTS };
  const explicit = { source: false, target: false };
  for (const name of SANDBOX_CLUSTER_NAMES) {
    const option = given[name];
    const fromEnv = env[SANDBOX_PORT_ENV[name]];
    if (option !== undefined) {
      ports[name] = parsePort(option, `${name}Port`);
      explicit[name] = true;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      ports[name] = parsePort(fromEnv, SANDBOX_PORT_ENV[name]);
      explicit[name] = true;
    }
  }
  checkPortLayout(ports);
  return { dir, ports, explicit };
}

/** The clusters' port pairs (N, N+1) must not overlap. */
export function checkPortLayout(ports: Readonly<Record<SandboxClusterName, number>>): void {
  const { source, target } = ports;
  if (Math.abs(source - target) < 2) {
    throw new ConfigError([
      {
        path: 'ports',
        message: `source uses ${source}-${source + 1} and target uses ${target}-${target + 1}: they overlap (each cluster takes its port and the next one)`,
        example: `${SANDBOX_PORT_FLAG.source} ${source} ${SANDBOX_PORT_FLAG.target} ${source + 2}`,
      },
    ]);
  }
}
