import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The major of the installed @nestjs/microservices (11 or 12): tests of a
 * feature only Nest 12 has skip on 11, saying so, and the parity harness
 * applies the differences it keeps on Nest 11 only there.
 */
export const NEST_MAJOR: number = (() => {
  const main = createRequire(import.meta.url).resolve('@nestjs/microservices');
  const { version } = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version: string };
  return Number(version.split('.')[0]);
})();

/** `describe` on Nest 12, `describe.skip` on 11: for tests of a Nest 12 feature (name it in the title). */
export const describeNest12 = NEST_MAJOR >= 12 ? describe : describe.skip;

/** `test` on Nest 12, `test.skip` on 11: for tests of a Nest 12 feature (name it in the title). */
export const testNest12 = NEST_MAJOR >= 12 ? test : test.skip;
