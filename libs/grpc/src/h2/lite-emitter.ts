/** An error with Node's code and message, as Node's http2 or streams would give it. */
export function nodeError<E extends Error>(
  code: string,
  message: string,
  Type: new (m: string) => E = Error as never,
): E {
  return Object.assign(new Type(message), { code });
}

type Listener = ((...args: any[]) => void) & { listener?: Listener }; // eslint-disable-line @typescript-eslint/no-explicit-any
type Slot = Listener | Listener[] | undefined;

/**
 * The part of EventEmitter grpc-js uses on HTTP/2 streams (on, once, emit),
 * without its bookkeeping, which costs more than the rest of a stream's setup.
 * Listeners run in the order added; an 'error' nobody listens to is thrown.
 */
export class LiteEmitter {
  // The events grpc-js listens to, declared so the object keeps one shape. One listener is
  // kept as itself, more as a list copied on write (an emit in progress keeps its listeners).
  private readonly handlers: Record<string, Slot> = {
    data: undefined,
    end: undefined,
    close: undefined,
    error: undefined,
    response: undefined,
    trailers: undefined,
    wantTrailers: undefined,
  };

  on(event: string, listener: Listener): this {
    const slot = this.handlers[event];
    this.handlers[event] =
      slot === undefined ? listener : typeof slot === 'function' ? [slot, listener] : [...slot, listener];
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.removeListener(event, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  removeListener(event: string, listener: Listener): this {
    const slot = this.handlers[event];
    const matches = (entry: Listener): boolean => entry === listener || entry.listener === listener;
    if (typeof slot === 'function') {
      if (matches(slot)) this.handlers[event] = undefined;
      return this;
    }
    const i = slot ? slot.findLastIndex(matches) : -1;
    if (i < 0) return this;
    const rest = slot!.filter((_, j) => j !== i);
    this.handlers[event] = rest.length === 1 ? rest[0] : rest;
    return this;
  }

  emit(event: string, a?: unknown, b?: unknown, c?: unknown): boolean {
    const slot = this.handlers[event];
    if (slot === undefined) {
      if (event === 'error') throw a instanceof Error ? a : new Error(`Unhandled error: ${String(a)}`);
      return false;
    }
    if (typeof slot === 'function') slot.call(this, a, b, c);
    else for (const listener of slot) listener.call(this, a, b, c);
    return true;
  }
}
