type Listener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The part of EventEmitter grpc-js uses on HTTP/2 streams (on, once,
 * removeListener, emit, listenerCount), without its bookkeeping: a call makes
 * two streams' worth of listeners, and Node's emitter costs more than the rest
 * of a stream's setup. Listeners run in the order added; an 'error' with no
 * listener is thrown, as EventEmitter does.
 */
export class LiteEmitter {
  // The events grpc-js listens to on a stream, declared up front so the object keeps one shape.
  private readonly handlers: Record<string, Listener[] | undefined> = {
    data: undefined,
    end: undefined,
    close: undefined,
    error: undefined,
    response: undefined,
    trailers: undefined,
    wantTrailers: undefined,
  };

  on(event: string, listener: Listener): this {
    const list = this.handlers[event];
    if (list) list.push(listener);
    else this.handlers[event] = [listener];
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
    const list = this.handlers[event];
    if (!list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i] as Listener & { listener?: Listener };
      if (entry === listener || entry.listener === listener) {
        // Copy on write: an emit in progress keeps the list it started with.
        const next = list.slice();
        next.splice(i, 1);
        this.handlers[event] = next.length > 0 ? next : undefined;
        break;
      }
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
    return this.handlers[event]?.length ?? 0;
  }

  listeners(event: string): Listener[] {
    return (this.handlers[event] ?? []).map((entry) => (entry as Listener & { listener?: Listener }).listener ?? entry);
  }

  emit(event: string, ...args: unknown[]): boolean {
    const list = this.handlers[event];
    if (!list) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    if (list.length === 1) list[0]!.apply(this, args);
    else for (const listener of list) listener.apply(this, args);
    return true;
  }
}
