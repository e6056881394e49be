/** An error with Node's code and message, as Node's http2 or streams would give it. */
export function nodeError<E extends Error>(
  code: string,
  message: string,
  Type: new (m: string) => E = Error as never,
): E {
  return Object.assign(new Type(message), { code });
}

type Listener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The part of EventEmitter grpc-js uses on HTTP/2 streams (on, once,
 * removeListener, emit, listenerCount), without its bookkeeping: a call makes
 * two streams' worth of listeners, and Node's emitter costs more than the rest
 * of a stream's setup. Listeners run in the order added; an 'error' with no
 * listener is thrown, as EventEmitter does.
 */
type Slot = Listener | Listener[] | undefined;

export class LiteEmitter {
  // The events grpc-js listens to on a stream, declared up front so the object keeps one
  // shape; one listener is kept as itself, more as a list (copied on write, so an emit in
  // progress keeps the listeners it started with).
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
    if (slot === undefined) this.handlers[event] = listener;
    else if (typeof slot === 'function') this.handlers[event] = [slot, listener];
    else this.handlers[event] = [...slot, listener];
    return this;
  }

  addListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string, listener: Listener): this {
    const wrapper: Listener & { listener?: Listener } = (...args) => {
      this.removeListener(event, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  removeListener(event: string, listener: Listener): this {
    const slot = this.handlers[event];
    if (slot === undefined) return this;
    const matches = (entry: Listener): boolean =>
      entry === listener || (entry as Listener & { listener?: Listener }).listener === listener;
    if (typeof slot === 'function') {
      if (matches(slot)) this.handlers[event] = undefined;
      return this;
    }
    for (let i = slot.length - 1; i >= 0; i--) {
      if (!matches(slot[i]!)) continue;
      const next = slot.slice();
      next.splice(i, 1);
      this.handlers[event] = next.length === 0 ? undefined : next.length === 1 ? next[0] : next;
      break;
    }
    return this;
  }

  off(event: string, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) for (const key in this.handlers) this.handlers[key] = undefined;
    else this.handlers[event] = undefined;
    return this;
  }

  listenerCount(event: string): number {
    const slot = this.handlers[event];
    return slot === undefined ? 0 : typeof slot === 'function' ? 1 : slot.length;
  }

  listeners(event: string): Listener[] {
    const slot = this.handlers[event];
    const list = slot === undefined ? [] : typeof slot === 'function' ? [slot] : slot;
    return list.map((entry) => (entry as Listener & { listener?: Listener }).listener ?? entry);
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
