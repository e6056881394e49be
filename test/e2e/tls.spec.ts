import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { FriendsClient } from '@friends/nest';
import { startTestServer, type StartedServer } from '../fixtures/src/app.js';
import { freePort } from '../support/ports.js';
import type { AnyClient } from '../support/targets.js';
import { describeWithTools, type Tool } from '../support/tools.js';

Logger.overrideLogger(false);

const OPENSSL: Tool = { package: 'openssl', command: 'openssl', probe: ['version'] };

/** TLS on the TCP port, as the stock transport's `tlsOptions`; the hello and ticket travel inside TLS. */
describeWithTools([OPENSSL], 'TLS', () => {
  let dir: string;
  let key: string;
  let cert: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'friends-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, 'friends' | 'stock', (port: number) => AnyClient, string][] = [
    ['friends client -> friends server, same process', 'friends', (port) => friendsClient(port), 'memory'],
    ['friends client, memory off', 'friends', (port) => friendsClient(port, { memory: false }), 'unix'],
    ['friends client, friends off', 'friends', (port) => friendsClient(port, false), 'tcp'],
    [
      'stock client -> friends server',
      'friends',
      (port) => new ClientTCP({ host: '127.0.0.1', port, tlsOptions: { ca: cert } }),
      'tcp',
    ],
    ['friends client -> stock server', 'stock', (port) => friendsClient(port), 'stock'],
  ];

  function friendsClient(port: number, friends: boolean | { memory?: boolean } = true): FriendsClient {
    return new FriendsClient({ host: '127.0.0.1', port, friends, tlsOptions: { ca: cert } });
  }

  test.each(cases)('%s', async (_name, kind, makeClient, serverSees) => {
    const port = await freePort();
    const server: StartedServer = await startTestServer(kind, port, { tlsOptions: { key, cert } });
    const client = makeClient(port);
    try {
      if (client instanceof FriendsClient) await client.tierDecision();
      expect(await lastValueFrom(client.send('tier', {}))).toBe(serverSees);
      expect(await lastValueFrom(client.send('echo', { text: 'äö😀' }))).toEqual({ text: 'äö😀' });
    } finally {
      await client.close();
      await server.app.close();
    }
  });

  test('a client without the CA fails to connect instead of falling back to plain text', async () => {
    const port = await freePort();
    const server = await startTestServer('friends', port, { tlsOptions: { key, cert } });
    const client = new FriendsClient({ host: '127.0.0.1', port, tlsOptions: {} });
    try {
      await expect(lastValueFrom(client.send('tier', {}))).rejects.toThrow(/self-signed|certificate/);
    } finally {
      client.close();
      await server.app.close();
    }
  });
});
