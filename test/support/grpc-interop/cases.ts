import * as grpc from '@grpc/grpc-js';
import {
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
  type StreamingInputCallRequest,
  type StreamingInputCallResponse,
  type SimpleResponse,
} from '../../fixtures/src/grpc/interop-service.js';
import { callOptions, ResponseRecorder, unaryOutcome, type InteropClients, type Outcome } from './calls.js';
import {
  expectMetadataValue,
  expectResponseSizes,
  expectStatus,
  expectZeroPayload,
  InteropDeviation,
} from './checks.js';

/** One case of the gRPC interop test descriptions; throws an InteropDeviation on any difference. */
export type InteropCase = (clients: InteropClients) => Promise<void>;

/**
 * Status details that grpc-js itself produces. The descriptions only fix the codes, but the friends
 * paths promise the stock strings, so the Node cases check them as well.
 */
export const STOCK_DETAILS = {
  cancelledByClient: 'Cancelled on client',
  // Followed by timings that vary from call to call.
  deadlineExceeded: /^Deadline exceeded/,
  // addService answers for a method the implementation left out, naming it by its short name...
  unimplementedMethod: 'The server does not implement the method UnimplementedCall',
  // ...while a path no service registered is named in full.
  unimplementedService: 'The server does not implement the method /grpc.testing.UnimplementedService/UnimplementedCall',
};

const ECHO_INITIAL_VALUE = 'test_initial_metadata_value';
const ECHO_TRAILING_VALUE = Buffer.from([0xab, 0xab, 0xab]);
const TEST_STATUS = { code: grpc.status.UNKNOWN, message: 'test status message' };
const SPECIAL_STATUS = {
  code: grpc.status.UNKNOWN,
  message: '\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \u{1f608}\t\n',
};
// [response size, request payload size] of each ping_pong round.
const PING_PONG: [number, number][] = [
  [31415, 27182],
  [9, 8],
  [2653, 1828],
  [58979, 45904],
];

const zeros = (size: number) => ({ body: Buffer.alloc(size) });
const none = () => new grpc.Metadata();

function echoMetadata(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE);
  metadata.set(ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE);
  return metadata;
}

function expectEchoedMetadata(what: string, { initial, status }: Outcome<unknown>): void {
  expectMetadataValue(`${what} initial metadata`, initial, ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE);
  expectMetadataValue(`${what} initial metadata`, initial, ECHO_TRAILING_KEY, null);
  expectMetadataValue(`${what} trailing metadata`, status.metadata, ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE);
  expectMetadataValue(`${what} trailing metadata`, status.metadata, ECHO_INITIAL_KEY, null);
}

const emptyUnary: InteropCase = async ({ client }) => {
  const { status, messages } = await unaryOutcome<object>('EmptyCall', (cb) =>
    client.EmptyCall({}, none(), callOptions(), cb),
  );
  expectStatus('EmptyCall', status, grpc.status.OK);
  if (messages.length !== 1 || Object.keys(messages[0]).length !== 0) {
    throw new InteropDeviation(`EmptyCall: expected one empty response, got ${JSON.stringify(messages)}`);
  }
};

const largeUnary: InteropCase = async ({ client }) => {
  const { status, messages } = await unaryOutcome<SimpleResponse>('UnaryCall', (cb) =>
    client.UnaryCall({ response_size: 314159, payload: zeros(271828) }, none(), callOptions(), cb),
  );
  expectStatus('UnaryCall', status, grpc.status.OK);
  expectResponseSizes('UnaryCall', messages, [314159]);
};

const clientStreaming: InteropCase = async ({ client }) => {
  const { status, messages } = await unaryOutcome<StreamingInputCallResponse>('StreamingInputCall', (cb) => {
    const call = client.StreamingInputCall(none(), callOptions(), cb);
    for (const size of [27182, 8, 1828, 45904]) call.write({ payload: zeros(size) });
    call.end();
    return call;
  });
  expectStatus('StreamingInputCall', status, grpc.status.OK);
  const total = messages[0]?.aggregated_payload_size;
  if (messages.length !== 1 || total !== 74922) {
    throw new InteropDeviation(`StreamingInputCall: expected aggregated_payload_size 74922, got ${total}`);
  }
};

const serverStreaming: InteropCase = async ({ client }) => {
  const sizes = [31415, 9, 2653, 58979];
  const call = client.StreamingOutputCall(
    { response_parameters: sizes.map((size) => ({ size })) },
    none(),
    callOptions(),
  );
  const { status, messages } = await new ResponseRecorder(call, 'StreamingOutputCall').finished();
  expectStatus('StreamingOutputCall', status, grpc.status.OK);
  expectResponseSizes('StreamingOutputCall', messages, sizes);
};

const pingPong: InteropCase = async ({ client }) => {
  const call = client.FullDuplexCall(none(), callOptions());
  const responses = new ResponseRecorder(call, 'FullDuplexCall');
  for (const [i, [size, body]] of PING_PONG.entries()) {
    call.write({ response_parameters: [{ size }], payload: zeros(body) });
    expectZeroPayload(`FullDuplexCall response #${i + 1}`, (await responses.nextMessage()).payload, size);
  }
  call.end();
  const { status, messages } = await responses.finished();
  expectStatus('FullDuplexCall', status, grpc.status.OK);
  expectResponseSizes(
    'FullDuplexCall',
    messages,
    PING_PONG.map(([size]) => size),
  );
};

const emptyStream: InteropCase = async ({ client }) => {
  const call = client.FullDuplexCall(none(), callOptions());
  const responses = new ResponseRecorder(call, 'FullDuplexCall');
  call.end();
  const { status, messages } = await responses.finished();
  expectStatus('FullDuplexCall', status, grpc.status.OK);
  expectResponseSizes('FullDuplexCall', messages, []);
};

const cancelAfterBegin: InteropCase = async ({ client }) => {
  let call: grpc.ClientWritableStream<StreamingInputCallRequest> | undefined;
  const outcome = unaryOutcome<StreamingInputCallResponse>('StreamingInputCall', (cb) => {
    call = client.StreamingInputCall(none(), callOptions(), cb);
    return call;
  });
  call?.cancel();
  const { status } = await outcome;
  expectStatus('StreamingInputCall', status, grpc.status.CANCELLED, STOCK_DETAILS.cancelledByClient);
};

const cancelAfterFirstResponse: InteropCase = async ({ client }) => {
  const call = client.FullDuplexCall(none(), callOptions());
  const responses = new ResponseRecorder(call, 'FullDuplexCall');
  call.write({ response_parameters: [{ size: 31415 }], payload: zeros(27182) });
  expectZeroPayload('FullDuplexCall response #1', (await responses.nextMessage()).payload, 31415);
  call.cancel();
  const { status } = await responses.finished();
  expectStatus('FullDuplexCall', status, grpc.status.CANCELLED, STOCK_DETAILS.cancelledByClient);
};

const timeoutOnSleepingServer: InteropCase = async ({ client }) => {
  const call = client.FullDuplexCall(none(), { deadline: Date.now() + 1 });
  const responses = new ResponseRecorder(call, 'FullDuplexCall');
  // No response_parameters and no half-close: the server has nothing to do but wait.
  call.write({ payload: zeros(27182) });
  const { status } = await responses.finished();
  expectStatus('FullDuplexCall', status, grpc.status.DEADLINE_EXCEEDED, STOCK_DETAILS.deadlineExceeded);
};

const customMetadata: InteropCase = async ({ client }) => {
  const unary = await unaryOutcome<SimpleResponse>('UnaryCall', (cb) =>
    client.UnaryCall({ response_size: 314159, payload: zeros(271828) }, echoMetadata(), callOptions(), cb),
  );
  expectStatus('UnaryCall', unary.status, grpc.status.OK);
  expectResponseSizes('UnaryCall', unary.messages, [314159]);
  expectEchoedMetadata('UnaryCall', unary);

  const call = client.FullDuplexCall(echoMetadata(), callOptions());
  const responses = new ResponseRecorder(call, 'FullDuplexCall');
  call.write({ response_parameters: [{ size: 314159 }], payload: zeros(271828) });
  call.end();
  const duplex = await responses.finished();
  expectStatus('FullDuplexCall', duplex.status, grpc.status.OK);
  expectResponseSizes('FullDuplexCall', duplex.messages, [314159]);
  expectEchoedMetadata('FullDuplexCall', duplex);
};

async function expectEchoedStatus(clients: InteropClients, echo: { code: number; message: string }, duplex = true) {
  const unary = await unaryOutcome<SimpleResponse>('UnaryCall', (cb) =>
    clients.client.UnaryCall({ response_status: echo }, none(), callOptions(), cb),
  );
  expectStatus('UnaryCall', unary.status, echo.code, echo.message);
  if (!duplex) return;
  const call = clients.client.FullDuplexCall(none(), callOptions());
  const responses = new ResponseRecorder(call, 'FullDuplexCall');
  call.write({ response_status: echo });
  call.end();
  expectStatus('FullDuplexCall', (await responses.finished()).status, echo.code, echo.message);
}

const statusCodeAndMessage: InteropCase = (clients) => expectEchoedStatus(clients, TEST_STATUS);

const specialStatusMessage: InteropCase = (clients) => expectEchoedStatus(clients, SPECIAL_STATUS, false);

const unimplementedMethod: InteropCase = async ({ client }) => {
  const { status } = await unaryOutcome<object>('TestService/UnimplementedCall', (cb) =>
    client.UnimplementedCall({}, none(), callOptions(), cb),
  );
  expectStatus('TestService/UnimplementedCall', status, grpc.status.UNIMPLEMENTED, STOCK_DETAILS.unimplementedMethod);
};

const unimplementedService: InteropCase = async ({ unimplementedClient }) => {
  const what = 'UnimplementedService/UnimplementedCall';
  const { status } = await unaryOutcome<object>(what, (cb) =>
    unimplementedClient.UnimplementedCall({}, none(), callOptions(), cb),
  );
  expectStatus(what, status, grpc.status.UNIMPLEMENTED, STOCK_DETAILS.unimplementedService);
};

export const INTEROP_CASES: [string, InteropCase][] = [
  ['empty_unary', emptyUnary],
  ['large_unary', largeUnary],
  ['client_streaming', clientStreaming],
  ['server_streaming', serverStreaming],
  ['ping_pong', pingPong],
  ['empty_stream', emptyStream],
  ['cancel_after_begin', cancelAfterBegin],
  ['cancel_after_first_response', cancelAfterFirstResponse],
  ['timeout_on_sleeping_server', timeoutOnSleepingServer],
  ['custom_metadata', customMetadata],
  ['status_code_and_message', statusCodeAndMessage],
  ['special_status_message', specialStatusMessage],
  ['unimplemented_method', unimplementedMethod],
  ['unimplemented_service', unimplementedService],
];
