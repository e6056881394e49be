export { FriendsGrpcServer, type FriendsGrpcServerOptions } from './friends-grpc-server.js';
export { friends, friendsChannelOptions, type FriendsClientOptions } from './friends.js';
export { FRIENDS_POLICY } from './client/balancer.js';
export { compactStreamCodec, type StreamFrame } from './h2/frames.js';
export { handshakeService } from './handshake.js';
