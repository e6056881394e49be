/**
 * How messages of type M become bytes on a socket and back. Implementations do
 * no I/O: `encode` returns what to write, a decoder turns chunks into messages.
 */
export interface MessageCodec<M> {
  encode(message: M): Buffer | string;
  createDecoder(limits: DecoderLimits): MessageDecoder<M>;
}

export interface MessageDecoder<M> {
  /** Consumes a chunk; returns the messages it completed. Throws a FriendsError on bad input. */
  push(chunk: Buffer): M[];
  /** True while part of a frame is buffered (drives the incomplete-message timer). */
  readonly partial: boolean;
}

export interface DecoderLimits {
  /** Largest frame accepted, checked against the declared length before buffering it. */
  maxFrameSize: number;
}

/** Anything that splits a byte stream into frames (stock or compact framing). */
export interface FrameSplitter<F> {
  push(chunk: Buffer): F[];
  readonly partial: boolean;
}

/** A decoder made of a frame splitter and what turns one frame into a message. */
export function mapFrames<F, M>(frames: FrameSplitter<F>, toMessage: (frame: F) => M): MessageDecoder<M> {
  return {
    get partial() {
      return frames.partial;
    },
    push: (chunk) => frames.push(chunk).map(toMessage),
  };
}
