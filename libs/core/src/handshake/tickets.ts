import { randomBytes } from 'node:crypto';

interface Entry {
  nonce: string;
  context: unknown;
  expires: number;
}

/** What a redeemed ticket was issued for. */
export interface RedeemedTicket {
  nonce: string;
  /** Whatever the issuer attached (e.g. which listener the hello came through). */
  context: unknown;
}

/**
 * Single-use, short-lived admission tickets for the unix socket. A ticket is
 * handed out over the connection that said hello and redeemed once on the unix
 * socket; it remembers the client's nonce so the server can prove it is the
 * endpoint that answered.
 */
export class TicketBook {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxOutstanding = 10_000,
  ) {}

  issue(nonce: string, context?: unknown): string {
    if (this.entries.size >= this.maxOutstanding) this.purge();
    if (this.entries.size >= this.maxOutstanding) {
      // Drop the oldest: a flood of hellos can only cost tickets, never memory.
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    const ticket = randomBytes(24).toString('base64url');
    this.entries.set(ticket, { nonce, context, expires: Date.now() + this.ttlMs });
    return ticket;
  }

  /** The nonce (and context) the ticket was issued for, or undefined if unknown, used or expired. */
  redeem(ticket: string): RedeemedTicket | undefined {
    const entry = this.entries.get(ticket);
    if (!entry) return undefined;
    this.entries.delete(ticket);
    return entry.expires >= Date.now() ? { nonce: entry.nonce, context: entry.context } : undefined;
  }

  clear(): void {
    this.entries.clear();
  }

  private purge(): void {
    const now = Date.now();
    for (const [ticket, entry] of this.entries) if (entry.expires < now) this.entries.delete(ticket);
  }
}
