import {
  CompactFrameDecoder,
  encodeCompactFrame,
  ErrorCodes,
  FriendsError,
  mapFrames,
  parseJsonFrame,
  type DecoderLimits,
  type MessageCodec,
  type MessageDecoder,
} from '@friends/core';

/**
 * A Nest packet as it travels: a request `{pattern, data, metadata?, id}`, an
 * event `{pattern, data, metadata?}` or a response `{response?, err?, isDisposed?,
 * status?, id}`. Every tier carries these same objects; only their encoding differs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- packets are whatever JSON the peer sent
export type NestPacket = { id?: string | number; [key: string]: any };

const NEST_PACKET_FRAME = 1;

/** Nest packets in compact frames (unix tier): byte lengths instead of UTF-16 counts, no string buffering. */
export const compactNestCodec: MessageCodec<NestPacket> = {
  encode(packet: NestPacket): Buffer {
    return encodeCompactFrame(NEST_PACKET_FRAME, 0, JSON.stringify(packet));
  },
  createDecoder: (limits: DecoderLimits): MessageDecoder<NestPacket> =>
    mapFrames(new CompactFrameDecoder(limits), (frame) => {
      if (frame.type !== NEST_PACKET_FRAME) {
        throw new FriendsError(ErrorCodes.BAD_FRAME, `Unexpected frame type ${frame.type} on a Nest unix link`);
      }
      return (parseJsonFrame(frame.payload.toString('utf8')) as NestPacket | null) ?? {};
    }),
};
