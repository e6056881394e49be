export { FriendsServerGrpc } from './friends-server-grpc.js';
