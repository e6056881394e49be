import { fileURLToPath } from 'node:url';
import type { CloseResult, HostRequest, HostStats } from '../../fixtures/src/faults/host-protocol.js';
import { forkIpc, type ForkOptions } from '../../support/child-ipc.js';

const ENTRY = fileURLToPath(new URL('../../fixtures/dist/faults/host.js', import.meta.url));

/** A fault host (test/fixtures/src/faults/host.ts) in a child process. */
export interface FaultHost {
  readonly pid: number;
  request<T>(request: HostRequest): Promise<T>;
  stats(afterGc?: boolean): Promise<HostStats>;
  /** Begins a close of its servers; resolves with the handler starts at that moment. */
  beginClose(graceful: boolean): Promise<CloseResult>;
  /** Resolves once the close has completed, with the handler starts then. */
  closed(): Promise<CloseResult>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a process that reads nothing for a while. */
  freeze(): void;
  thaw(): void;
  /** Ends the process (killing it if it is frozen or does not exit in time). */
  stop(): Promise<void>;
}

export async function startHost(label: string, options: Omit<ForkOptions, 'execArgv'> = {}): Promise<FaultHost> {
  const ipc = await forkIpc(label, ENTRY, [], { ...options, execArgv: ['--expose-gc'] });
  const { child } = ipc;
  const gone = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await gone;
  };
  return {
    pid: child.pid!,
    request: <T>(request: HostRequest) => ipc.request<T>(request),
    stats: (afterGc = true) => ipc.request<HostStats>({ op: 'stats', afterGc }),
    beginClose: (graceful) => ipc.request<CloseResult>({ op: 'close', graceful }),
    closed: () => ipc.request<CloseResult>({ op: 'closed' }),
    kill,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGCONT');
      // A host that does not exit once its channel closes is killed, and the stop fails.
      await ipc.stop();
    },
  };
}

/** A host serving the Nest test microservice on `port`; resolves with its unix socket, if any. */
export async function nestHost(
  port: number,
  options: Record<string, unknown>,
  fork: Omit<ForkOptions, 'execArgv'> = {},
): Promise<FaultHost & { unixPath: string | null }> {
  const host = await startHost('nest server host', fork);
  try {
    const { unixPath } = await host.request<{ unixPath: string | null }>({ op: 'nest-server', port, options });
    return Object.assign(host, { unixPath });
  } catch (err) {
    await host.kill();
    throw err;
  }
}

/**
 * A host serving the gRPC echo service on `port` (0: any) with its unix socket in `socketDir`;
 * `options` are its other friends options.
 */
export async function grpcHost(
  port: number,
  socketDir: string,
  fork: Omit<ForkOptions, 'execArgv'> = {},
  options: Record<string, unknown> = {},
): Promise<FaultHost & { port: number }> {
  const host = await startHost('gRPC server host', fork);
  try {
    const bound = await host.request<{ port: number }>({ op: 'grpc-server', port, socketDir, options });
    return Object.assign(host, { port: bound.port });
  } catch (err) {
    await host.kill();
    throw err;
  }
}
