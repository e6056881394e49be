import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { FriendsClient } from '@friends/nest';
import { startParityServer } from './app.js';
import { Recorder } from './recorder.js';

/**
 * argv: client-kind port [server-kind]. Makes one call with a fresh client and
 * closes it (and the server, when it hosts one), then prints one JSON line.
 * The test process watches whether this process then exits by itself.
 */
const [client = 'stock', portArg = '0', hosted] = process.argv.slice(2);
Logger.overrideLogger(false);
const server = hosted ? await startParityServer('friends', 'default', 0, new Recorder()) : undefined;
const port = server?.port ?? Number(portArg);
const options = { host: '127.0.0.1', port };
const proxy =
  client === 'stock'
    ? new ClientTCP(options)
    : new FriendsClient({ ...options, ...(client === 'friends-off' ? { friends: false } : {}) });
// A FriendsClient's call goes on the tier it takes: what must let the process go after close().
if (proxy instanceof FriendsClient) await proxy.tierDecision();
const answer = await lastValueFrom(proxy.send('probe.sum', [20, 22]));
const tier = proxy instanceof FriendsClient ? proxy.tier : 'stock';
proxy.close();
await server?.close();
process.stdout.write(`${JSON.stringify({ answer, tier })}\n`);
