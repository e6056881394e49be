import { createRequire } from 'node:module';

/** The places friends plugs into grpc-js; one module each under seams/. */
export type SeamName = 'lb' | 'subchannel' | 'subchannel-call' | 'client-session' | 'server-ports' | 'server-call';

/**
 * One thing friends assumes about grpc-js. A static shape is checked once, at
 * friends' first use, by `differs()`; a runtime shape can only be seen where
 * it happens (`checkedAt` says where), and is checked there each time.
 */
export interface Shape {
  readonly seam: SeamName;
  /** What is assumed, in words: the warning names it when it does not hold. */
  readonly name: string;
  /** Undefined when the shape holds; otherwise what was found instead. */
  readonly differs?: () => string | undefined;
  readonly checkedAt?: string;
}

/** A shape checked where it happens (see `Shape.checkedAt`). */
export function runtimeShape(seam: SeamName, name: string, checkedAt: string): Shape {
  return { seam, name, checkedAt };
}

const require = createRequire(import.meta.url);
const modules = new Map<string, unknown>();

/**
 * A module of the installed grpc-js (`build/src/<name>.js`), loaded on first
 * ask; undefined when it cannot be loaded. The same copy `@grpc/grpc-js`
 * resolves to from here, so the same one the application's calls run through.
 */
export function grpcModule<T extends object>(name: string): Partial<T> {
  if (!modules.has(name)) {
    let loaded: unknown;
    try {
      loaded = require(`@grpc/grpc-js/build/src/${name}.js`);
    } catch {
      loaded = undefined;
    }
    modules.set(name, loaded);
  }
  return (modules.get(name) ?? {}) as Partial<T>;
}

/** The installed `@grpc/grpc-js` itself (its CommonJS exports). */
export function grpcRoot<T extends object>(): Partial<T> {
  return (require('@grpc/grpc-js') ?? {}) as Partial<T>;
}

let version: string | undefined;

/** The installed grpc-js's version, as its package.json says. */
export function grpcJsVersion(): string {
  if (version === undefined) {
    try {
      version = String((require('@grpc/grpc-js/package.json') as { version?: unknown }).version);
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** `differs()` for "this is a function": undefined, or what was found. */
export function notAFunction(value: unknown): string | undefined {
  return typeof value === 'function' ? undefined : `found ${value === undefined ? 'nothing' : typeof value}`;
}
