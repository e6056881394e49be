export { FriendsServer } from './friends-server.js';
export { FriendsClient, type FriendsClientEvents, type FriendsClientStatus } from './friends-client.js';
export { FriendsContext } from './friends-context.js';
export { FriendsSocketRef } from './socket-ref.js';
export type { FriendsClientOptions, FriendsServerOptions, FriendsSwitch } from './options.js';
export { FRIENDS_TRANSPORT, HELLO_PATTERN } from './constants.js';
