import { INTEROP_CASES } from '../support/grpc-interop/cases.js';
import { PYTHON_CLIENT_TOOLS, runPythonClient } from '../support/grpc-interop/python-client.js';
import { PYTHON_TARGETS, TARGETS, type InteropConnection } from '../support/grpc-interop/targets.js';
import { describeWithTools } from '../support/tools.js';

const CASE_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 15_000;

describe.each(TARGETS)('gRPC interop: $name', (target) => {
  let connection: InteropConnection | undefined;

  beforeAll(async () => {
    connection = await target.start();
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await connection?.stop();
  }, START_TIMEOUT_MS);

  test.each(INTEROP_CASES)(
    '%s',
    async (_name, run) => {
      if (!connection) throw new Error(`${target.name} did not start`);
      await run(connection);
    },
    CASE_TIMEOUT_MS,
  );
});

describeWithTools(PYTHON_CLIENT_TOOLS, 'gRPC interop: python grpcio client', () => {
  describe.each(PYTHON_TARGETS)('$name', (target) => {
    test(
      'passes every case',
      async () => {
        const server = await target.startServer();
        try {
          const run = await runPythonClient(server.port);
          const summary = `python client output:\n${run.output}`;
          for (const [name] of INTEROP_CASES) {
            const result = run.results.get(name);
            if (result === undefined) throw new Error(`${name} was not reported\n${summary}`);
            if (result !== null) throw new Error(`${name} failed: ${result}\n${summary}`);
          }
          expect(run.results.size).toBe(INTEROP_CASES.length);
          expect(run.exitCode).toBe(0);
        } finally {
          await server.stop();
        }
      },
      START_TIMEOUT_MS,
    );
  });
});
