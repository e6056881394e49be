import { randomBytes } from 'node:crypto';

interface Entry {
  nonce: string;
  expires: number;
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

  issue(nonce: string): string {
    if (this.entries.size >= this.maxOutstanding) this.purge();
    if (this.entries.size >= this.maxOutstanding) {
      // Drop the oldest: a flood of hellos can only cost tickets, never memory.
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    const ticket = randomBytes(24).toString('base64url');
    this.entries.set(ticket, { nonce, expires: Date.now() + this.ttlMs });
    return ticket;
  }

  /** The nonce the ticket was issued for, or undefined if unknown, used or expired. */
  redeem(ticket: string): string | undefined {
    const entry = this.entries.get(ticket);
    if (!entry) return undefined;
    this.entries.delete(ticket);
    return entry.expires >= Date.now() ? entry.nonce : undefined;
  }

  clear(): void {
    this.entries.clear();
  }

  private purge(): void {
    const now = Date.now();
    for (const [ticket, entry] of this.entries) if (entry.expires < now) this.entries.delete(ticket);
  }
}
