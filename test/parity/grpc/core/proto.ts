import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

/**
 * The messages every scenario exchanges: scalars of every wire type, bytes,
 * enums, nesting, repetition, maps, oneofs and proto3 optionals, so loader
 * options have something to change.
 */
const PROTO = `
syntax = "proto3";
package parity;

enum Mood { CALM = 0; HAPPY = 1; }

message Nested {
  string label = 1;
  repeated int32 values = 2;
  Nested child = 3;
}

message Msg {
  string text = 1;
  int32 n = 2;
  int64 big = 3;
  uint64 ubig = 4;
  bytes blob = 5;
  Mood mood = 6;
  repeated string tags = 7;
  Nested nested = 8;
  repeated Nested items = 9;
  map<string, string> labels = 10;
  double ratio = 11;
  bool flag = 12;
  oneof pick {
    string name = 13;
    int32 number = 14;
  }
  sint64 signed_big = 15;
  fixed64 fixed_big = 16;
  optional string maybe = 17;
  float small = 18;
}

service Codec {
  rpc Call(Msg) returns (Msg);
}

service Nest {
  rpc Unary(Msg) returns (Msg);
  rpc Fail(Msg) returns (Msg);
  rpc Meta(Msg) returns (Msg);
  rpc Stream(Msg) returns (stream Msg);
  rpc Collect(stream Msg) returns (Msg);
  rpc Chat(stream Msg) returns (stream Msg);
}
`;

/**
 * How a scenario's messages are (de)serialized. The proto profiles are the
 * loader options applications use most; `raw` passes bytes through; `json` is
 * a hand-written codec like many applications plug in.
 */
export type Codec = 'strings' | 'plain' | 'numbers' | 'raw' | 'json';

export const LOADER_OPTIONS: Record<'strings' | 'plain' | 'numbers', protoLoader.Options> = {
  strings: { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  plain: {},
  numbers: { keepCase: true, longs: Number, enums: Number, arrays: true, objects: true },
};

export interface Serializers {
  serialize: (value: unknown) => Buffer;
  deserialize: (bytes: Buffer) => unknown;
}

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const rootJson = root.toJSON();

/** The package definition the loader gives for `options`. */
export function packageDefinition(options: protoLoader.Options): protoLoader.PackageDefinition {
  return protoLoader.fromJSON(rootJson, options);
}

const cache = new Map<Codec, Serializers>();

export function serializers(codec: Codec): Serializers {
  let found = cache.get(codec);
  if (!found) {
    found = build(codec);
    cache.set(codec, found);
  }
  return found;
}

function build(codec: Codec): Serializers {
  if (codec === 'raw') return { serialize: (value) => value as Buffer, deserialize: (bytes) => bytes };
  if (codec === 'json')
    return {
      serialize: (value) => Buffer.from(JSON.stringify(value)),
      // A message carrying `explode` cannot be decoded: how each side reports a decoding failure.
      deserialize: (bytes) => {
        const value = JSON.parse(bytes.toString());
        if (value && value.explode) throw new Error('cannot decode a message that explodes');
        return value;
      },
    };
  const method = packageDefinition(LOADER_OPTIONS[codec])['parity.Codec'] as protoLoader.ServiceDefinition;
  const call = method.Call!;
  return {
    serialize: call.requestSerialize as Serializers['serialize'],
    deserialize: call.requestDeserialize as Serializers['deserialize'],
  };
}
