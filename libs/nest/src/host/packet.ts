import type { ReadPacket } from '@nestjs/microservices';
import type { NestHost } from './shapes.js';

/** The ClientProxy member that builds outgoing packets (protected in Nest's types; Nest 12 only). */
interface PacketClient {
  createPacket?(pattern: unknown, data: unknown): ReadPacket;
}

/** Makes the packet a call sends. */
export type PacketFactory = (client: object, pattern: unknown, data: unknown) => ReadPacket;

/** Nest 12: ClientProxy#createPacket, which runs the dispatch hook (it may set metadata, or throw). */
const createPacket: PacketFactory = (client, pattern, data) => (client as PacketClient).createPacket!(pattern, data);

/** Nest 11: its ClientProxy publishes `{ pattern, data }`; there is no dispatch hook and no metadata. */
const plainPacket: PacketFactory = (_client, pattern, data) => ({ pattern, data });

/** How the installed major's ClientProxy builds a packet. */
export function packetFactory(host: NestHost): PacketFactory {
  return host.createPacket ? createPacket : plainPacket;
}
