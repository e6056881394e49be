import {
  CompactFrameDecoder,
  encodeCompactFrame,
  ErrorCodes,
  FriendsError,
  frameTooLarge,
  isFriendsError,
  parseJsonFrame,
  type DecoderLimits,
  type MessageCodec,
  type MessageDecoder,
} from '@friends/core/internal';

/**
 * A Nest packet as it travels: a request `{pattern, data, metadata?, id}`, an
 * event `{pattern, data, metadata?}` or a response `{response?, err?, isDisposed?,
 * status?, id}`. Every tier carries these same objects; only their encoding differs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- packets are whatever JSON the peer sent
export type NestPacket = { id?: string | number; [key: string]: any };

const NEST_PACKET_FRAME = 1;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;
const TYPE_AND_LENGTH = 5;

/**
 * Nest packets in compact frames (unix tier): the JSON as UTF-8 bytes, with its
 * length in UTF-16 code units in the frame's id field, so that `maxBufferSize`
 * counts characters here as on the stock wire. Bytes are bounded before
 * buffering (3 per character), the declared count is checked against the
 * limit and against the text it declares.
 */
export const compactNestCodec: MessageCodec<NestPacket> = {
  encode(packet: NestPacket): Buffer {
    const json = JSON.stringify(packet);
    return encodeCompactFrame(NEST_PACKET_FRAME, json.length, json);
  },
  createDecoder(limits: DecoderLimits): MessageDecoder<NestPacket> {
    const maxChars = limits.maxFrameSize;
    const frames = new CompactFrameDecoder({ maxFrameSize: MAX_BYTES_PER_UNIT * maxChars + TYPE_AND_LENGTH });
    return {
      get partial() {
        return frames.partial;
      },
      push(chunk: Buffer): NestPacket[] {
        let split;
        try {
          split = frames.push(chunk);
        } catch (err) {
          throw isFriendsError(err, ErrorCodes.FRAME_TOO_LARGE) ? frameTooLarge() : err;
        }
        return split.map((frame) => {
          if (frame.type !== NEST_PACKET_FRAME) {
            throw new FriendsError(ErrorCodes.BAD_FRAME, `Unexpected frame type ${frame.type} on a Nest unix link`);
          }
          if (frame.id > maxChars) throw frameTooLarge(frame.id);
          const json = frame.payload.toString('utf8');
          if (json.length !== frame.id) {
            throw new FriendsError(
              ErrorCodes.BAD_FRAME,
              `Frame declared ${frame.id} characters and held ${json.length}`,
            );
          }
          return (parseJsonFrame(json) as NestPacket | null) ?? {};
        });
      },
    };
  },
};
