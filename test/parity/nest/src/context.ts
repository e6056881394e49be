import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The store scenarios run their calls in. Handlers report what they see of it:
 * behind a socket a handler never sees its caller's store, so in memory it must not either.
 */
export const callerStore = new AsyncLocalStorage<{ caller: string }>();
