import {
  FriendsAcceptor,
  HelloAttempt,
  memoryCopies,
  type AcceptorOptions,
  type ConnectorOptions,
  type Link,
  type TierDecision,
} from '../../src/internal.js';
import { compactJsonCodec, delay } from './helpers.js';

/**
 * Acceptors and attempts for one test file, all cleaned up by `dispose()`.
 * Hellos and answers go through JSON, as they would over a real connection.
 */
export class HandshakeHarness {
  readonly serverLinks: Link<object>[] = [];
  readonly clientLinks: Link<object>[] = [];
  readonly warnings: Error[] = [];
  private readonly acceptors: FriendsAcceptor<object>[] = [];
  private readonly attempts: HelloAttempt<object>[] = [];

  constructor(private readonly socketDir: () => string) {}

  async acceptor(overrides: Partial<AcceptorOptions<object>> = {}): Promise<FriendsAcceptor<object>> {
    const acceptor = new FriendsAcceptor<object>({
      protocol: 'test',
      memory: true,
      unix: true,
      socketDir: this.socketDir(),
      socketPrefix: 'test',
      memoryCopy: memoryCopies.json,
      unixCodec: compactJsonCodec,
      onLink: (link) => this.serverLinks.push(link),
      onWarning: (err) => this.warnings.push(err),
      ...overrides,
    });
    this.acceptors.push(acceptor);
    await acceptor.start();
    return acceptor;
  }

  attempt(overrides: Partial<ConnectorOptions<object>> = {}): HelloAttempt<object> {
    const attempt = new HelloAttempt<object>({
      protocol: 'test',
      memory: true,
      unix: true,
      memoryCopy: memoryCopies.json,
      unixCodec: compactJsonCodec,
      ...overrides,
    });
    this.attempts.push(attempt);
    return attempt;
  }

  /** The hello as the server would receive it. */
  static wire<T>(value: T): unknown {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  async complete(attempt: HelloAttempt<object>, answer: unknown): Promise<TierDecision<object>> {
    const decision = await attempt.complete(HandshakeHarness.wire(answer));
    if (decision.tier !== 'tcp') this.clientLinks.push(decision.link);
    return decision;
  }

  async negotiate(
    acceptor: FriendsAcceptor<object>,
    attempt: HelloAttempt<object> = this.attempt(),
  ): Promise<TierDecision<object>> {
    return this.complete(attempt, acceptor.answer(HandshakeHarness.wire(attempt.hello)));
  }

  async dispose(): Promise<void> {
    for (const attempt of this.attempts.splice(0)) attempt.cancel();
    const links = [...this.clientLinks.splice(0), ...this.serverLinks.splice(0)];
    await Promise.all(links.map(closeLink));
    await Promise.all(this.acceptors.splice(0).map((a) => a.close()));
    this.warnings.length = 0;
    await delay(0);
  }
}

/** Destroys a link and waits for its 'close' (bounded). */
export function closeLink(link: Link<object>): Promise<void> {
  return new Promise((resolve) => {
    const socket = (link as { socket?: { closed: boolean } }).socket;
    if (socket?.closed) return resolve();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(finish, 1000);
    link.once('close', finish);
    link.destroy();
    if (!socket && link.closed) setImmediate(finish);
  });
}

/** Sends `message` from `from` and resolves with what `to` receives next. */
export function roundTrip(from: Link<object>, to: Link<object>, message: object, ms = 2000): Promise<object> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      to.off('message', on);
      reject(new Error(`no message within ${ms} ms`));
    }, ms);
    const on = (m: object): void => {
      clearTimeout(timer);
      to.off('message', on);
      resolve(m);
    };
    to.on('message', on);
    from.send(message);
  });
}
