import * as grpc from '@grpc/grpc-js';
import { describeStatus } from './describe.js';

export type Note = (event: string, value?: unknown) => void;

/** A client interceptor that records each step of each call it sees and passes everything on. */
export function recordingInterceptor(note: Note): grpc.Interceptor {
  return (options, nextCall) => {
    note('intercepted', {
      path: options.method_definition.path,
      deadline: options.deadline === undefined ? 'none' : typeof options.deadline,
      credentials: options.credentials ? 'set' : 'none',
    });
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        note('start', metadata);
        next(metadata, {
          onReceiveMetadata(md, nextMd) {
            note('onReceiveMetadata', md);
            nextMd(md);
          },
          onReceiveMessage(message, nextMessage) {
            note('onReceiveMessage', message);
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            note('onReceiveStatus', describeStatus(status));
            nextStatus(status);
          },
        });
      },
      sendMessage(message, next) {
        note('sendMessage', message);
        next(message);
      },
      halfClose(next) {
        note('halfClose');
        next();
      },
      cancel(next) {
        note('cancel');
        next();
      },
    });
  };
}
