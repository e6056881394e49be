import * as grpc from '@grpc/grpc-js';
import type { Payload } from '../../fixtures/src/grpc/interop-service.js';
import { describeStatus } from './calls.js';

/** A deviation from the interop description: the message says which case, which call and what differed. */
export class InteropDeviation extends Error {
  override name = 'InteropDeviation';
}

export function expectStatus(
  what: string,
  status: Pick<grpc.StatusObject, 'code' | 'details'>,
  code: grpc.status,
  details?: string | RegExp,
): void {
  const detailsMatch =
    details === undefined || (typeof details === 'string' ? status.details === details : details.test(status.details));
  if (status.code !== code || !detailsMatch) {
    const wanted = details === undefined ? '' : ` ${typeof details === 'string' ? JSON.stringify(details) : details}`;
    throw new InteropDeviation(
      `${what}: expected status ${grpc.status[code]} (${code})${wanted}, got ${describeStatus(status)}`,
    );
  }
}

export function expectZeroPayload(what: string, payload: Payload | null | undefined, size: number): void {
  const body = payload?.body;
  if (!body) throw new InteropDeviation(`${what}: expected a payload of ${size} bytes, got none`);
  if (body.length !== size) throw new InteropDeviation(`${what}: expected ${size} payload bytes, got ${body.length}`);
  const nonZero = body.findIndex((byte) => byte !== 0);
  if (nonZero !== -1) throw new InteropDeviation(`${what}: payload byte ${nonZero} is ${body[nonZero]}, not 0`);
}

export function expectResponseSizes(what: string, messages: { payload: Payload | null }[], sizes: number[]): void {
  if (messages.length !== sizes.length) {
    throw new InteropDeviation(`${what}: expected ${sizes.length} responses, got ${messages.length}`);
  }
  messages.forEach((message, i) => expectZeroPayload(`${what} response #${i + 1}`, message.payload, sizes[i]));
}

/** The key must carry exactly this one value, or be absent when `value` is null. */
export function expectMetadataValue(
  what: string,
  metadata: grpc.Metadata | null,
  key: string,
  value: string | Buffer | null,
): void {
  const values = metadata?.get(key) ?? [];
  const same =
    value === null
      ? values.length === 0
      : values.length === 1 && (Buffer.isBuffer(value) ? value.equals(values[0] as Buffer) : values[0] === value);
  if (!same) {
    const show = (v: string | Buffer) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : JSON.stringify(v));
    const wanted = value === null ? 'no value' : show(value);
    throw new InteropDeviation(`${what}: expected ${key} = ${wanted}, got [${values.map(show).join(', ')}]`);
  }
}
