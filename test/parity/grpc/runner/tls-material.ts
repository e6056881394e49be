import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A CA and a server and a client certificate it signed (for 127.0.0.1), made
 * with openssl for this run. Null when openssl is missing: TLS scenarios are
 * then reported as skipped.
 */
export function makeTlsMaterial(): { dir: string; remove(): void } | null {
  const dir = mkdtempSync(join(tmpdir(), 'parity-grpc-tls-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl('req', '-x509', ...key, '-days', '2', '-subj', '/CN=parity-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const [name, serial] of [
      ['server', '2'],
      ['client', '3'],
    ] as const) {
      openssl('req', ...key, '-subj', `/CN=parity-${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-set_serial',
        serial,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}-cert.pem`,
      );
    }
    return { dir, remove };
  } catch {
    remove();
    return null;
  }
}
