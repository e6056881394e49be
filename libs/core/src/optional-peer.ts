import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/**
 * An optional peer dependency (`@opentelemetry/api`, say), loaded the first
 * time a feature that needs it is used; undefined when it is not installed.
 * Nothing imports it statically, so an application without it loads friends
 * all the same.
 */
export function optionalPeer<T>(name: string): T | undefined {
  if (!loaded.has(name)) {
    try {
      loaded.set(name, require(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      loaded.set(name, undefined);
    }
  }
  return loaded.get(name) as T | undefined;
}
