export { FriendsGrpcServer, type FriendsGrpcServerOptions } from './friends-grpc-server.js';
export { friends, type FriendsClientOptions } from './friends.js';
