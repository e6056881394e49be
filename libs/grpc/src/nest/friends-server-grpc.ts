import { ServerCredentials } from '@grpc/grpc-js';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import { safeLogText } from '@friends/core/internal';
import { FriendsGrpcServer, type FriendsGrpcServerOptions } from '../friends-grpc-server.js';

type NestGrpcOptions = GrpcOptions['options'];

/**
 * Nest's gRPC transport with friends: controllers with `@GrpcMethod` and
 * `@GrpcStreamMethod` work unchanged; the server is a FriendsGrpcServer, so
 * standard gRPC clients use HTTP/2 and friends take memory or unix.
 *
 *   NestFactory.createMicroservice(AppModule, { strategy: new FriendsServerGrpc({ package, protoPath, url }) })
 */
export class FriendsServerGrpc extends ServerGrpc {
  constructor(
    private readonly grpcOptions: NestGrpcOptions,
    private readonly friendsOptions: FriendsGrpcServerOptions = {},
  ) {
    super(grpcOptions);
  }

  /** As ServerGrpc's, with a FriendsGrpcServer where it makes a grpc.Server. */
  override async createClient(): Promise<FriendsGrpcServer> {
    const options = this.grpcOptions;
    const channelOptions: Record<string, unknown> = { ...(options.channelOptions ?? {}) };
    if (options.maxSendMessageLength) channelOptions['grpc.max_send_message_length'] = options.maxSendMessageLength;
    if (options.maxReceiveMessageLength)
      channelOptions['grpc.max_receive_message_length'] = options.maxReceiveMessageLength;
    if (options.maxMetadataSize) channelOptions['grpc.max_metadata_size'] = options.maxMetadataSize;
    const server = new FriendsGrpcServer({
      ...channelOptions,
      ...this.getKeepaliveOptions(),
      // Nest's logger hears what the friend tiers have to say, as FriendsServer's does.
      friends: {
        onWarning: (err: Error) => this.logger.warn(safeLogText(err.message, 1024)),
        ...this.friendsOptions,
      },
    });
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.url, options.credentials ?? ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    return server;
  }
}
