export { FriendsGrpcServer, type FriendsGrpcServerOptions } from './friends-grpc-server.js';
export { friends, type FriendsClientOptions } from './friends.js';
export { compactCallCodec, type CallFrame } from './frames.js';
export { handshakeService } from './handshake.js';
