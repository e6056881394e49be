import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

/**
 * @friends/grpc relies on grpc-js internals that are not public API (the server
 * call classes, the handler dispatch it re-implements, the bottom unary call's
 * behaviour). grpc-js is pinned exactly; this fails loudly when an upgrade
 * changes what we depend on.
 */
describe('grpc-js internals @friends/grpc depends on', () => {
  test('the pinned version', () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@grpc/grpc-js/package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe('1.14.7');
  });

  test('server-call exports the call classes and serverErrorToStatus', () => {
    const serverCall = require('@grpc/grpc-js/build/src/server-call.js');
    expect(typeof serverCall.ServerWritableStreamImpl).toBe('function');
    expect(typeof serverCall.ServerDuplexStreamImpl).toBe('function');
    expect(serverCall.serverErrorToStatus({ code: 5, details: 'x' })).toMatchObject({ code: 5, details: 'x' });
    expect(typeof require('@grpc/grpc-js/build/src/orca.js').PerRequestMetricRecorder).toBe('function');
  });

  test('Server.register has the signature we override, and dispatch strings are unchanged', () => {
    expect(grpc.Server.prototype.register.length).toBe(5);
    const source = readFileSync(require.resolve('@grpc/grpc-js/build/src/server.js'), 'utf8');
    expect(source).toContain('The server does not implement the method ${');
    expect(source).toContain('Received a second request message for server streaming method ${handler.path}');
    expect(source).toContain('Received no request message for server streaming method ${handler.path}');
    expect(source).toMatch(/function handleUnary\(call, handler\)/);
  });

  test('the bottom unary call starts its own read and sends null before a message-less status', () => {
    const source = readFileSync(require.resolve('@grpc/grpc-js/build/src/client-interceptors.js'), 'utf8');
    const unary = source.slice(source.indexOf('class BaseUnaryInterceptingCall'));
    expect(unary).toContain('this.call.startRead()');
    expect(unary).toContain('onReceiveMessage) === null || _a === void 0 ? void 0 : _a.call(listener, null)');
  });
});
