"""The gRPC interop cases, run by Debian's grpcio against --host --port.

Prints `PASS name` or `FAIL name: reason` for each case and exits 1 if any failed. Message classes
are generated with protoc into a temporary directory, so nothing generated lives in the repository.
"""

import argparse
import importlib
import os
import queue
import shutil
import subprocess
import sys
import tempfile

import grpc

CALL_TIMEOUT_S = 4.0
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
PING_PONG = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
# Produced by the server, so the same whichever client calls (see STOCK_DETAILS in cases.ts).
UNIMPLEMENTED_METHOD_DETAILS = "The server does not implement the method UnimplementedCall"
UNIMPLEMENTED_SERVICE_DETAILS = (
    "The server does not implement the method /grpc.testing.UnimplementedService/UnimplementedCall"
)


class Deviation(Exception):
    """The peer did something the interop description does not allow."""


def load_messages(proto_dir):
    protoc = shutil.which("protoc")
    if protoc is None:
        raise SystemExit("protoc not found (Debian package protobuf-compiler)")
    with tempfile.TemporaryDirectory() as out:
        # Generated at the top level: a `grpc.testing` package would shadow the grpc library.
        files = [os.path.join(proto_dir, name) for name in ("messages.proto", "empty.proto")]
        subprocess.run([protoc, "-I" + proto_dir, "--python_out=" + out, *files], check=True)
        sys.path.insert(0, out)
        try:
            return importlib.import_module("messages_pb2"), importlib.import_module("empty_pb2")
        finally:
            sys.path.remove(out)


class Stubs:
    """Hand-made stubs: Debian's grpcio has no code generator that matches its version."""

    def __init__(self, channel, messages, empty):
        def method(kind, service, name, request, response):
            return getattr(channel, kind)(
                "/grpc.testing.%s/%s" % (service, name),
                request_serializer=request.SerializeToString,
                response_deserializer=response.FromString,
            )

        m, t = messages, "TestService"
        self.EmptyCall = method("unary_unary", t, "EmptyCall", empty.Empty, empty.Empty)
        self.UnaryCall = method("unary_unary", t, "UnaryCall", m.SimpleRequest, m.SimpleResponse)
        self.StreamingOutputCall = method(
            "unary_stream", t, "StreamingOutputCall", m.StreamingOutputCallRequest, m.StreamingOutputCallResponse
        )
        self.StreamingInputCall = method(
            "stream_unary", t, "StreamingInputCall", m.StreamingInputCallRequest, m.StreamingInputCallResponse
        )
        self.FullDuplexCall = method(
            "stream_stream", t, "FullDuplexCall", m.StreamingOutputCallRequest, m.StreamingOutputCallResponse
        )
        self.UnimplementedCall = method("unary_unary", t, "UnimplementedCall", empty.Empty, empty.Empty)
        self.UnimplementedServiceCall = method(
            "unary_unary", "UnimplementedService", "UnimplementedCall", empty.Empty, empty.Empty
        )


class Requests:
    """A request iterator fed one message at a time, so a case can wait for each reply before the next."""

    def __init__(self):
        self._queue = queue.Queue()

    def send(self, message):
        self._queue.put(message)

    def close(self):
        self._queue.put(None)

    def __iter__(self):
        return self

    def __next__(self):
        message = self._queue.get()
        if message is None:
            raise StopIteration
        return message


def check_payload(what, payload, size):
    if len(payload.body) != size:
        raise Deviation("%s: expected %d payload bytes, got %d" % (what, size, len(payload.body)))
    if payload.body.count(0) != size:
        raise Deviation("%s: payload is not all zeros" % what)


def check_sizes(what, responses, sizes):
    if len(responses) != len(sizes):
        raise Deviation("%s: expected %d responses, got %d" % (what, len(sizes), len(responses)))
    for i, (response, size) in enumerate(zip(responses, sizes)):
        check_payload("%s response #%d" % (what, i + 1), response.payload, size)


def check_code(what, call, code, details=None):
    if call.code() != code or (details is not None and call.details() != details):
        wanted = code.name + ("" if details is None else " %r" % details)
        raise Deviation("%s: expected status %s, got %s %r" % (what, wanted, call.code().name, call.details()))


def expect_failure(what, run, code, details=None):
    try:
        run()
    except grpc.RpcError as error:
        check_code(what, error, code, details)
    else:
        raise Deviation("%s: expected status %s, the call succeeded" % (what, code.name))


def check_metadata(what, metadata, present, absent):
    key, value = present
    values = [v for k, v in metadata if k == key]
    if values != [value]:
        raise Deviation("%s: expected %s = %r, got %r" % (what, key, value, values))
    if any(k == absent[0] for k, _ in metadata):
        raise Deviation("%s: unexpected %s" % (what, absent[0]))


def run_cases(stubs, m, empty):
    def payload(size):
        return m.Payload(body=bytes(size))

    def empty_unary():
        response = stubs.EmptyCall(empty.Empty(), timeout=CALL_TIMEOUT_S)
        if response.ByteSize() != 0:
            raise Deviation("EmptyCall: response is not empty")

    def large_unary():
        request = m.SimpleRequest(response_size=314159, payload=payload(271828))
        check_payload("UnaryCall", stubs.UnaryCall(request, timeout=CALL_TIMEOUT_S).payload, 314159)

    def client_streaming():
        requests = [m.StreamingInputCallRequest(payload=payload(n)) for n in (27182, 8, 1828, 45904)]
        total = stubs.StreamingInputCall(iter(requests), timeout=CALL_TIMEOUT_S).aggregated_payload_size
        if total != 74922:
            raise Deviation("StreamingInputCall: expected aggregated_payload_size 74922, got %d" % total)

    def server_streaming():
        sizes = [31415, 9, 2653, 58979]
        request = m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=s) for s in sizes])
        check_sizes("StreamingOutputCall", list(stubs.StreamingOutputCall(request, timeout=CALL_TIMEOUT_S)), sizes)

    def ping_pong():
        requests = Requests()
        try:
            responses = stubs.FullDuplexCall(requests, timeout=CALL_TIMEOUT_S)
            for i, (size, body) in enumerate(PING_PONG):
                requests.send(m.StreamingOutputCallRequest(
                    response_parameters=[m.ResponseParameters(size=size)], payload=payload(body)))
                check_payload("FullDuplexCall response #%d" % (i + 1), next(responses).payload, size)
            requests.close()
            check_sizes("FullDuplexCall after half-close", list(responses), [])
            check_code("FullDuplexCall", responses, grpc.StatusCode.OK)
        finally:
            requests.close()

    def empty_stream():
        responses = stubs.FullDuplexCall(iter([]), timeout=CALL_TIMEOUT_S)
        check_sizes("FullDuplexCall", list(responses), [])
        check_code("FullDuplexCall", responses, grpc.StatusCode.OK)

    def cancel_after_begin():
        requests = Requests()
        try:
            future = stubs.StreamingInputCall.future(requests, timeout=CALL_TIMEOUT_S)
            future.cancel()
            check_code("StreamingInputCall", future, grpc.StatusCode.CANCELLED)
        finally:
            requests.close()

    def cancel_after_first_response():
        requests = Requests()
        try:
            responses = stubs.FullDuplexCall(requests, timeout=CALL_TIMEOUT_S)
            requests.send(m.StreamingOutputCallRequest(
                response_parameters=[m.ResponseParameters(size=31415)], payload=payload(27182)))
            check_payload("FullDuplexCall response #1", next(responses).payload, 31415)
            responses.cancel()
            check_code("FullDuplexCall", responses, grpc.StatusCode.CANCELLED)
        finally:
            requests.close()

    def timeout_on_sleeping_server():
        requests = Requests()
        try:
            responses = stubs.FullDuplexCall(requests, timeout=0.001)
            requests.send(m.StreamingOutputCallRequest(payload=payload(27182)))
            expect_failure("FullDuplexCall", lambda: list(responses), grpc.StatusCode.DEADLINE_EXCEEDED)
        finally:
            requests.close()

    def custom_metadata():
        metadata = (ECHO_INITIAL, ECHO_TRAILING)
        request = m.SimpleRequest(response_size=314159, payload=payload(271828))
        response, call = stubs.UnaryCall.with_call(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
        check_payload("UnaryCall", response.payload, 314159)
        check_metadata("UnaryCall initial metadata", call.initial_metadata(), ECHO_INITIAL, ECHO_TRAILING)
        check_metadata("UnaryCall trailing metadata", call.trailing_metadata(), ECHO_TRAILING, ECHO_INITIAL)

        request = m.StreamingOutputCallRequest(
            response_parameters=[m.ResponseParameters(size=314159)], payload=payload(271828))
        responses = stubs.FullDuplexCall(iter([request]), metadata=metadata, timeout=CALL_TIMEOUT_S)
        check_sizes("FullDuplexCall", list(responses), [314159])
        check_code("FullDuplexCall", responses, grpc.StatusCode.OK)
        check_metadata("FullDuplexCall initial metadata", responses.initial_metadata(), ECHO_INITIAL, ECHO_TRAILING)
        check_metadata("FullDuplexCall trailing metadata", responses.trailing_metadata(), ECHO_TRAILING, ECHO_INITIAL)

    def echoed_status(message, duplex):
        status = m.EchoStatus(code=2, message=message)
        expect_failure("UnaryCall", lambda: stubs.UnaryCall(m.SimpleRequest(response_status=status),
                       timeout=CALL_TIMEOUT_S), grpc.StatusCode.UNKNOWN, message)
        if duplex:
            requests = iter([m.StreamingOutputCallRequest(response_status=status)])
            expect_failure("FullDuplexCall", lambda: list(stubs.FullDuplexCall(requests, timeout=CALL_TIMEOUT_S)),
                           grpc.StatusCode.UNKNOWN, message)

    def unimplemented_method():
        expect_failure("TestService/UnimplementedCall",
                       lambda: stubs.UnimplementedCall(empty.Empty(), timeout=CALL_TIMEOUT_S),
                       grpc.StatusCode.UNIMPLEMENTED, UNIMPLEMENTED_METHOD_DETAILS)

    def unimplemented_service():
        expect_failure("UnimplementedService/UnimplementedCall",
                       lambda: stubs.UnimplementedServiceCall(empty.Empty(), timeout=CALL_TIMEOUT_S),
                       grpc.StatusCode.UNIMPLEMENTED, UNIMPLEMENTED_SERVICE_DETAILS)

    cases = [
        ("empty_unary", empty_unary),
        ("large_unary", large_unary),
        ("client_streaming", client_streaming),
        ("server_streaming", server_streaming),
        ("ping_pong", ping_pong),
        ("empty_stream", empty_stream),
        ("cancel_after_begin", cancel_after_begin),
        ("cancel_after_first_response", cancel_after_first_response),
        ("timeout_on_sleeping_server", timeout_on_sleeping_server),
        ("custom_metadata", custom_metadata),
        ("status_code_and_message", lambda: echoed_status("test status message", True)),
        ("special_status_message", lambda: echoed_status(SPECIAL_MESSAGE, False)),
        ("unimplemented_method", unimplemented_method),
        ("unimplemented_service", unimplemented_service),
    ]
    failed = 0
    for name, case in cases:
        try:
            case()
            print("PASS %s" % name, flush=True)
        except Exception as error:  # any exception is a failed case, reported on one line
            failed += 1
            reason = str(error) if isinstance(error, Deviation) else "%s: %s" % (type(error).__name__, error)
            print("FAIL %s: %s" % (name, " ".join(reason.split())), flush=True)
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--proto-dir", default=os.path.join(here, "..", "..", "fixtures", "proto", "grpc", "testing"))
    args = parser.parse_args()
    messages, empty = load_messages(args.proto_dir)
    with grpc.insecure_channel("%s:%d" % (args.host, args.port)) as channel:
        grpc.channel_ready_future(channel).result(timeout=CALL_TIMEOUT_S)
        failed = run_cases(Stubs(channel, messages, empty), messages, empty)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
