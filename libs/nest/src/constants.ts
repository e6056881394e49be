/** Transport id of FriendsServer; bind handlers to it with `@MessagePattern(p, FRIENDS_TRANSPORT)`. */
export const FRIENDS_TRANSPORT: unique symbol = Symbol.for('friends.nest.transport');

/** The reserved request pattern carrying the hello. A stock server answers it with NO_MESSAGE_HANDLER. */
export const HELLO_PATTERN = '$friends.hello.v1';

/**
 * The reserved request pattern of the barrier: a client that made calls on tcp
 * while its tier was being decided sends it before moving to the fast tier;
 * the server's answer says it has taken everything sent before it.
 */
export const BARRIER_PATTERN = '$friends.barrier.v1';

/** Memory endpoints pair only within one message protocol. */
export const NEST_PROTOCOL = 'nest-packets/1';

/** What the stock TCP server answers to a request with no handler. */
export const NO_MESSAGE_HANDLER = 'There is no matching message handler defined in the remote service.';

export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 3000;

/**
 * In a hello answer: the server has its own serializer or deserializer, which
 * see packet ids, so requests must carry ids as the stock client makes them.
 */
export const STOCK_IDS = 'stock';
