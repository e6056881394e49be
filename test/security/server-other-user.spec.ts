import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { Logger } from '@nestjs/common';
import { FriendsClient } from '@friends/nest';
import { echo, echoClient, startGrpcServer, startNestServer } from '../support/sec-servers.js';
import { describeWithTools, type Tool } from '../support/tools.js';

Logger.overrideLogger(false);

const SETPRIV: Tool = { package: 'util-linux', command: 'setpriv', probe: ['--version'] };
/** Debian's `nobody`: a user that is not us. */
const OTHER = '65534';

/**
 * Tries to connect to `target` (a unix path, or a TCP port on 127.0.0.1) as
 * the other user, from a small node script run through setpriv; resolves with
 * 'connected' or the error code.
 */
function connectAsOther(target: string | number): Promise<string> {
  const script = `
    const net = require('node:net');
    const arg = process.argv[1];
    const socket = /^\\d+$/.test(arg) ? net.connect(Number(arg), '127.0.0.1') : net.connect(arg);
    socket.on('connect', () => { process.stdout.write('connected'); socket.destroy(); });
    socket.on('error', (err) => process.stdout.write(err.code || err.message));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      [`--reuid=${OTHER}`, `--regid=${OTHER}`, '--clear-groups', process.execPath, '-e', script, String(target)],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: '/' },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

describeWithTools(
  [SETPRIV],
  'another user and the default socket',
  () => {
    test('Nest: another user cannot connect to the unix socket (EACCES); the standard port stays open to it', async () => {
      const { server, port } = await startNestServer();
      const client = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
      try {
        await client.tierDecision();
        expect(client.tier).toBe('unix');
        expect(await connectAsOther(server.unixPath!)).toBe('EACCES');
        expect(await connectAsOther(port)).toBe('connected');
      } finally {
        client.close();
        await server.close();
      }
    });

    test('Nest: a socket in a directory others may enter is still 0600 (EACCES), unless asked wider', async () => {
      const { mkdtemp, chmod, rm } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = await mkdtemp(join(tmpdir(), 'friends-sec-open-'));
      await chmod(dir, 0o755);
      const { server } = await startNestServer({ socketDir: dir });
      const wide = await startNestServer({ socketDir: dir, socketMode: 0o666 });
      try {
        expect(server.unixPath!.startsWith(`${dir}/`)).toBe(true);
        expect(await connectAsOther(server.unixPath!)).toBe('EACCES');
        // The same user, socket and directory, with the mode asked wider: the other user gets through.
        expect(await connectAsOther(wide.server.unixPath!)).toBe('connected');
      } finally {
        await server.close();
        await wide.server.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('gRPC: another user cannot connect to the unix socket (EACCES)', async () => {
      const { server, target } = await startGrpcServer();
      const client = echoClient(target, { friends: { memory: false } });
      try {
        expect((await echo(client, 'x')).way).toBe('unix');
        expect(await connectAsOther(server.unixPath!)).toBe('EACCES');
      } finally {
        client.close();
        server.forceShutdown();
      }
    });
  },
  { root: true },
);
