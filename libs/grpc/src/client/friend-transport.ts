import { constants } from 'node:http2';
import type { SeriesCounters } from '@friends/core/internal';
import type { ChannelOptions, Metadata } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { SubchannelCall, SubchannelCallInterceptingListener } from '@grpc/grpc-js/build/src/subchannel-call.js';
import type { ClientLinkSession } from '../h2/client-session.js';
import { grpcJsVersion } from '../seams/shape.js';
import type { CallTransport, SubchannelCallSeam, SubchannelCallWithDisconnect } from '../seams/subchannel-call.js';
import { markCallTier } from './call-spans.js';

let callNumbers = 0;

/** What grpc-js's call tells its transport: friends keep only which calls are open. */
class CallTracker {
  call: SubchannelCallWithDisconnect | undefined;

  constructor(private readonly calls: Set<SubchannelCallWithDisconnect>) {}

  addMessageSent(): void {}

  addMessageReceived(): void {}

  onCallEnd(): void {
    if (this.call) this.calls.delete(this.call);
  }

  onStreamEnd(): void {}
}

type CallArguments = [Metadata, string, string, SubchannelCallInterceptingListener, number | undefined];

/**
 * Calls to one backend over a friend link, in place of grpc-js's HTTP/2
 * transport: the same request headers, and grpc-js's own call class on each
 * stream. The LB call asks it for a call exactly as it asks a subchannel.
 */
export class FriendTransport implements CallTransport {
  private readonly activeCalls = new Set<SubchannelCallWithDisconnect>();
  private readonly userAgent: string;

  constructor(
    readonly session: ClientLinkSession,
    /** What grpc-js reports as the call's peer: the backend address, as on HTTP/2. */
    private readonly address: string,
    private readonly options: ChannelOptions,
    /** The connection's TLS identity, as grpc-js's transport reports it (where calls ask for it). */
    private readonly authContext: AuthContext | undefined,
    /** The link's labelled counters: calls are counted here. */
    private readonly series: SeriesCounters,
    private readonly Http2SubchannelCall: SubchannelCallSeam['Http2SubchannelCall'],
    /** Makes a call that grpc-js's call class would not take on a friend stream somewhere else. */
    private readonly elsewhere: (err: Error, ...call: CallArguments) => SubchannelCall,
  ) {
    this.userAgent = [
      options['grpc.primary_user_agent'],
      `grpc-node-js/${grpcJsVersion()}`,
      options['grpc.secondary_user_agent'],
    ]
      .filter((part) => part)
      .join(' ');
    // As grpc-js's transport: a dropped connection tells every call before its stream ends.
    session.on('close', () => {
      for (const call of this.activeCalls) call.onDisconnect();
    });
  }

  get usable(): boolean {
    return this.session.usable;
  }

  createCall(
    metadata: Metadata,
    host: string,
    method: string,
    listener: SubchannelCallInterceptingListener,
    callId?: number,
  ): SubchannelCall {
    const headers = metadata.toHttp2Headers();
    headers[':authority'] = host;
    headers['user-agent'] = this.userAgent;
    headers['content-type'] = 'application/grpc';
    headers[':method'] = 'POST';
    headers[':path'] = method;
    headers.te = 'trailers';
    let stream;
    try {
      stream = this.session.request(headers);
    } catch (err) {
      // grpc-js discards a connection whose session refused a request; so do we.
      this.session.destroy();
      throw err;
    }
    const tracker = new CallTracker(this.activeCalls);
    let call: SubchannelCallWithDisconnect;
    try {
      call = new this.Http2SubchannelCall(stream as never, tracker, listener, this, callId ?? --callNumbers);
    } catch (err) {
      stream.close(constants.NGHTTP2_CANCEL);
      return this.elsewhere(err as Error, metadata, host, method, listener, callId);
    }
    this.series.calls++;
    markCallTier(metadata, this.series.tier);
    tracker.call = call;
    this.activeCalls.add(call);
    return call;
  }

  getOptions(): ChannelOptions {
    return this.options;
  }

  getPeerName(): string {
    return this.address;
  }

  getAuthContext(): AuthContext | undefined {
    return this.authContext;
  }

  close(): void {
    this.session.close();
  }
}
