/** True when `FRIENDS` in the environment turns the fast paths off (`off`, `0`, `false`, `no`). */
export function friendsDisabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.FRIENDS?.trim().toLowerCase();
  return value === 'off' || value === '0' || value === 'false' || value === 'no';
}
