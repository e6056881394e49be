/** The checkout this script belongs to. */
export const CHECKOUT: string;
/** Package name → version spec of the host packages `hosts` names. */
export function hostVersions(hosts: { grpcJs?: string; nest?: 11 | 12 }): Record<string, string>;
/** Makes `dir` a copy of the checkout and its build with `hosts` installed; returns the versions installed. */
export function prepareHostWorkspace(dir: string, hosts: { grpcJs?: string; nest?: 11 | 12 }): Record<string, string>;
