import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Server, ServerTCP } from '@nestjs/microservices';
import { checkNestHost, missingShapes } from '../../libs/nest/src/host/shapes.js';

/**
 * The Nest shapes @friends/nest relies on (libs/nest/src/host/), on the
 * installed major: every one is there, the variant chosen for each seam
 * matches the major, and the stock code the request path reproduces or
 * follows still has the shape it was written from. Run on each major
 * (test/hosts/host-workspace.mjs --nest=11).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const host = checkNestHost();
const major = Number(host.version.split('.')[0]);

/**
 * The source of a function with its whitespace collapsed and CommonJS import
 * calls (`(0, operators_1.finalize)(…)`) read as plain calls: the checks read
 * its steps, not its layout or module format.
 */
const source = (fn: unknown): string =>
  String(fn)
    .replace(/\s+/g, ' ')
    .replace(/\(0, \w+\.(\w+)\)/g, '$1');

/** `steps` appear in `text` in this order. */
function inOrder(text: string, steps: string[]): boolean {
  let at = 0;
  for (const step of steps) {
    const found = text.indexOf(step, at);
    if (found < 0) return false;
    at = found + step.length;
  }
  return true;
}

test('the installed Nest has every shape friends assumes', () => {
  expect(missingShapes()).toEqual([]);
  expect([11, 12]).toContain(major);
});

test('each seam takes the variant of the installed major', () => {
  const variants = { request: host.request, contextMetadata: host.contextMetadata, createPacket: host.createPacket };
  if (major === 12) expect(variants).toEqual({ request: 'handleRequest', contextMetadata: true, createPacket: true });
  else expect(variants).toEqual({ request: 'start-hook', contextMetadata: false, createPacket: false });
});

test('send() answers a settled value as one packet with the dispose flag, on the next tick (what the plain request path writes directly)', () => {
  const send = source(Server.prototype.send);
  expect(
    inOrder(send, ['if (data.isDisposed && dataQueue.length > 0)', 'isDisposed = true', 'process.nextTick(']),
  ).toBe(true);
  expect(inOrder(send, ['catchError(', 'finalize(() => scheduleOnNextTick({ isDisposed: true }))'])).toBe(true);
});

(major === 12 ? describe : describe.skip)('Nest 12: the request path friends calls and follows', () => {
  test('ServerTCP#handleMessage hands requests to handleRequest with an async produce', () => {
    const handleMessage = source(ServerTCP.prototype.handleMessage);
    expect(
      inOrder(handleMessage, [
        'await this.deserializer.deserialize(',
        'this.handleRequest(',
        'async () => this.transformToObservable(await handler(',
      ]),
    ).toBe(true);
  });

  test('handleRequest awaits produce() inside an async step of runWithProcessingHooks, then sends', () => {
    const handleRequest = source((Server.prototype as unknown as Record<string, unknown>).handleRequest);
    expect(
      inOrder(handleRequest, ['this.runWithProcessingHooks(context, async', 'await produce()', 'this.send(']),
    ).toBe(true);
    const run = source((Server.prototype as unknown as Record<string, unknown>).runWithProcessingHooks);
    expect(inOrder(run, ['this.onProcessingStartHook(this.transportId, context, async () =>', 'await fn('])).toBe(true);
  });
});

(major === 11 ? describe : describe.skip)('Nest 11: the request path friends reproduces (host/request.ts)', () => {
  test('ServerTCP#handleMessage runs the start hook around the handler and the end hook before each packet is written', () => {
    const handleMessage = source(ServerTCP.prototype.handleMessage);
    expect(
      inOrder(handleMessage, [
        'await this.deserializer.deserialize(',
        'this.onProcessingStartHook(this.transportId, tcpContext, async () =>',
        'this.transformToObservable(await handler(packet.data, tcpContext))',
        'this.send(response$,',
        'Object.assign(data, { id: packet.id })',
        'this.serializer.serialize(data)',
        'this.onProcessingEndHook?.(this.transportId, tcpContext)',
        'socket.sendMessage(outgoingResponse)',
      ]),
    ).toBe(true);
    expect((Server.prototype as unknown as Record<string, unknown>).handleRequest).toBeUndefined();
  });
});

test('a Nest that lacks a shape makes the constructors fail with a coded error naming it', () => {
  // In a process of its own, on the build: this process's Nest stays whole.
  const script = `
    import { ClientProxy, Server } from '@nestjs/microservices';
    delete Server.prototype.getPatternAsString;
    delete ClientProxy.prototype.assignPacketId;
    const { FriendsServer, FriendsClient } = await import('@friends/nest');
    const out = [];
    for (const make of [() => new FriendsServer(), () => new FriendsClient()]) {
      try { make(); out.push('constructed'); } catch (err) { out.push({ name: err.name, code: err.code, message: err.message }); }
    }
    console.log(JSON.stringify(out));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.stderr).toBe('');
  const [server, client] = JSON.parse(result.stdout) as { name: string; code: string; message: string }[];
  for (const failure of [server!, client!]) {
    expect(failure).toMatchObject({ name: 'FriendsError', code: 'FRIENDS_ERR_UNSUPPORTED_NEST_VERSION' });
    expect(failure.message).toContain(`@nestjs/microservices ${host.version} is not supported by @friends/nest`);
    expect(failure.message).toContain('Server.prototype.getPatternAsString (function)');
    expect(failure.message).toContain('ClientProxy.prototype.assignPacketId (function)');
  }
});
