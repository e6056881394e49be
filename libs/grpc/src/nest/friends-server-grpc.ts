import { ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import { safeLogText } from '@friends/core/internal';
import { FriendsGrpcServer, type FriendsGrpcServerOptions } from '../friends-grpc-server.js';

type NestGrpcOptions = GrpcOptions['options'];

/** What ServerGrpc builds its grpc.Server with, and binds it to. */
export interface NestServerSetup {
  serverOptions: ServerOptions;
  url: string;
  credentials: ServerCredentials;
}

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
    const { serverOptions, url, credentials } = this.serverSetup();
    const server = new FriendsGrpcServer({
      ...serverOptions,
      // Nest's logger hears what the friend tiers have to say, as FriendsServer's does.
      friends: {
        onWarning: (err: Error) => this.logger.warn(safeLogText(err.message, 1024)),
        ...this.friendsOptions,
      },
    });
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(url, credentials, (error, port) => (error ? reject(error) : resolve(port))),
    );
    return server;
  }

  /**
   * A copy of what ServerGrpc#createClient builds its server with (Nest 11.2 and 12.1 alike): Nest takes
   * the class from a package variable shared by every ServerGrpc, so no seam gives one instance another
   * class. test/grpc/nest-grpc.spec.ts runs Nest's own createClient and fails when this differs from it.
   */
  protected serverSetup(): NestServerSetup {
    const options = this.grpcOptions;
    const serverOptions: Record<string, unknown> = { ...(options.channelOptions ?? {}) };
    if (options.maxSendMessageLength) serverOptions['grpc.max_send_message_length'] = options.maxSendMessageLength;
    if (options.maxReceiveMessageLength)
      serverOptions['grpc.max_receive_message_length'] = options.maxReceiveMessageLength;
    if (options.maxMetadataSize) serverOptions['grpc.max_metadata_size'] = options.maxMetadataSize;
    Object.assign(serverOptions, this.getKeepaliveOptions());
    return {
      serverOptions,
      url: this.url,
      credentials: options.credentials || ServerCredentials.createInsecure(),
    };
  }
}
