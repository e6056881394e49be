/** FRIENDS_FAULT_REPORT=1 prints each fault test's figures (calls sent/settled/lost, bounds observed). */
export function report(name: string, figures: Record<string, unknown>): void {
  if (process.env.FRIENDS_FAULT_REPORT === '1') process.stderr.write(`[faults] ${name}: ${JSON.stringify(figures)}\n`);
}
