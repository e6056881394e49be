import { createRequire } from 'node:module';
import { experimental } from '@grpc/grpc-js';
import { clientSessionSeam } from '../../libs/grpc/src/seams/client-session.js';
import { checkShape, GRPC_SHAPES, grpcVerdict } from '../../libs/grpc/src/seams/guard.js';
import { lbSeam } from '../../libs/grpc/src/seams/lb.js';
import type { SeamName } from '../../libs/grpc/src/seams/shape.js';
import {
  fieldsFromParameters,
  membersUsed,
  methodParameters,
  parameterNames,
} from '../../libs/grpc/src/seams/source-shape.js';

const require = createRequire(import.meta.url);
const VERSION = (require('@grpc/grpc-js/package.json') as { version: string }).version;
const [MAJOR, MINOR] = VERSION.split('.').map(Number) as [number, number];
/** The minors friends stand under (the peer range): their shapes all hold; others may differ. */
const SUPPORTED = MAJOR === 1 && MINOR >= 10 && MINOR <= 14;

/**
 * Every grpc-js shape friends depends on, seam by seam, checked against the
 * installed grpc-js. Run in a host workspace (test/hosts/host-workspace.mjs)
 * to check another grpc-js.
 */
describe(`grpc-js ${VERSION}: the shapes each seam builds on`, () => {
  const seams: SeamName[] = ['lb', 'subchannel', 'subchannel-call', 'client-session', 'server-ports', 'server-call'];

  test('every seam lists its shapes; runtime ones say where they are checked', () => {
    for (const seam of seams) expect(GRPC_SHAPES.filter((s) => s.seam === seam).length).toBeGreaterThan(0);
    for (const shape of GRPC_SHAPES) {
      expect(shape.name.length).toBeGreaterThan(10);
      expect(Boolean(shape.differs) !== Boolean(shape.checkedAt)).toBe(true);
    }
    expect(new Set(GRPC_SHAPES.map((s) => s.name)).size).toBe(GRPC_SHAPES.length);
  });

  const checked = GRPC_SHAPES.filter((shape) => shape.differs).map((shape) => [shape.seam, shape.name, shape] as const);
  (SUPPORTED ? test.each(checked) : test.skip.each(checked))('%s: %s', (_seam, _name, shape) => {
    expect(checkShape(shape)).toBeUndefined();
  });

  test('the verdict', () => {
    const verdict = grpcVerdict();
    if (SUPPORTED) expect(verdict.supported).toBe(true);
    // grpc-js 1.9 has no selectLbConfigFromList: friends step aside there.
    else if (MINOR === 9)
      expect(verdict).toMatchObject({
        supported: false,
        shape: { name: expect.stringContaining('selectLbConfigFromList') },
      });
  });

  // 1.10 to 1.12 take a connection as ready at its socket's 'connect' (read from grpc-js's source); 1.13 and
  // 1.14 at the server's settings. A minor read the wrong way would send a reset call's end in the other order.
  (SUPPORTED ? test : test.skip)('the client session seam reads when this grpc-js takes a connection as ready', () => {
    expect(clientSessionSeam().idleWhenReady).toBe(MINOR <= 12);
  });

  (SUPPORTED ? test : test.skip)(
    'the LB adapter finds the channel options exactly once, where this grpc-js gives them',
    () => {
      const lb = lbSeam();
      const options = { 'grpc.primary_user_agent': 'probe' };
      const fromConstructor = [1, 2, 3].some((at) => {
        const args: unknown[] = [{}, {}, {}, {}];
        args[at] = options;
        return lb.optionsFromConstructor(args) === options;
      });
      const fromUpdate = lb.optionsFromUpdate([[], {}, options, '']) === options;
      expect([fromConstructor, fromUpdate].filter(Boolean)).toHaveLength(1);
      // The constructor carries them exactly when grpc-js builds a child handler with them.
      expect(fromConstructor).toBe(experimental.ChildLoadBalancerHandler.length > 1);
    },
  );
});

describe('reading shapes from shipped code', () => {
  class Plain {
    constructor(
      readonly first: number,
      second: string,
    ) {
      (this as unknown as { kept: string }).kept = second;
    }
    method(a: number, b: number): number {
      return a + b;
    }
  }
  class Inner {}

  test('parameter names of functions, methods and constructors', () => {
    expect(
      parameterNames(function named(a: number, b: number) {
        return a + b;
      }),
    ).toEqual(['a', 'b']);
    expect(parameterNames(Plain)).toEqual(['first', 'second']);
    expect(parameterNames(Inner)).toEqual([]);
    expect(methodParameters(Plain.prototype, 'method')).toEqual(['a', 'b']);
    expect(methodParameters(Plain.prototype, 'missing')).toBeUndefined();
  });

  test('fields a constructor keeps from its parameters, by position', () => {
    expect([...fieldsFromParameters(Plain)]).toEqual([
      ['first', 0],
      ['kept', 1],
    ]);
  });

  test('members used on a receiver, and on nothing else', () => {
    const fn = function (this: { transport: { a(): void; b: number } }, transport: { c(): void }) {
      this.transport.a();
      void this.transport.b;
      transport.c();
      const other = { transport: { d: 1 } };
      return other.transport.d;
    };
    expect([...membersUsed(fn, ['this.transport'])].sort()).toEqual(['a', 'b']);
    expect([...membersUsed(fn, ['transport'])].sort()).toEqual(['c']);
  });
});
