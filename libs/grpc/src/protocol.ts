/** Memory endpoints and unix tickets pair only within this protocol: gRPC streams as friend frames. */
export const GRPC_PROTOCOL = 'grpc-streams/1';
