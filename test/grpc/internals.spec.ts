import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

/**
 * @friends/grpc builds on a few grpc-js pieces that are not public API
 * (libs/grpc/src/internals.ts checks them when it loads). grpc-js is pinned
 * exactly; this fails loudly when an upgrade changes one of them.
 */
describe('grpc-js internals @friends/grpc depends on', () => {
  test('the pinned version', () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@grpc/grpc-js/package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe('1.14.7');
  });

  test('Http2SubchannelCall: exported, built from (stream, tracker, listener, transport, id), with onDisconnect', () => {
    const { Http2SubchannelCall } = require('@grpc/grpc-js/build/src/subchannel-call.js');
    expect(typeof Http2SubchannelCall).toBe('function');
    expect(Http2SubchannelCall.length).toBe(5);
    expect(typeof Http2SubchannelCall.prototype.onDisconnect).toBe('function');
    // The hello reads the connection of its call through the stream it keeps.
    const source = readFileSync(require.resolve('@grpc/grpc-js/build/src/subchannel-call.js'), 'utf8');
    expect(source).toContain('this.http2Stream = http2Stream');
  });

  test("grpc.Server sets up each HTTP/2 server with one 'stream' and one 'session' listener", async () => {
    const server = new grpc.Server();
    const internals = server as unknown as { http2Servers: Map<import('node:http2').Http2Server, unknown> };
    expect(typeof (grpc.Server.prototype as unknown as Record<string, unknown>)._setupHandlers).toBe('function');
    await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      const [http2Server] = [...internals.http2Servers.keys()];
      expect(http2Server!.listeners('stream')).toHaveLength(1);
      expect(http2Server!.listeners('session')).toHaveLength(1);
    } finally {
      server.forceShutdown();
    }
  });

  test('the experimental API friends registers its load-balancing policy with', () => {
    const { experimental } = grpc;
    for (const name of [
      'registerLoadBalancerType',
      'selectLbConfigFromList',
      'createChildChannelControlHelper',
      'ChildLoadBalancerHandler',
      'BaseSubchannelWrapper',
    ] as const)
      expect(typeof experimental[name]).toBe('function');
  });
});
