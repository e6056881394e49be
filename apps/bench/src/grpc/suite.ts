import { FLOOR_VARIANT, runRoundsWithFloor, withoutFloor } from '../floor.js';
import { selectById, type Suite } from '../suite.js';
import type { GrpcEchoClient } from './clients.js';
import { PAYLOAD_BYTES, STREAM_MESSAGE_BYTES, STREAM_MESSAGES, LEAD_IN_STREAM_MESSAGES } from './echo-service.js';
import { connectGrpcVariants } from './run.js';
import { GrpcServerPool } from './servers.js';
import { GRPC_TARGETS } from './targets.js';
import { GRPC_VARIANTS } from './variants.js';
import { grpcWorkloads } from './workloads.js';

export const grpcSuite: Suite = {
  name: 'grpc',
  title: 'gRPC benchmark',
  variantIds: [...GRPC_VARIANTS.map((v) => v.id), FLOOR_VARIANT.id],
  async run(options, variantIds, progress) {
    const variants = selectById(GRPC_VARIANTS, withoutFloor(variantIds));
    const workloads = grpcWorkloads(options.concurrencies);
    const pool = new GrpcServerPool();
    const clients: GrpcEchoClient[] = [];
    try {
      const contenders = await connectGrpcVariants(variants, workloads, pool, clients);
      const { results, reported } = await runRoundsWithFloor(options, variantIds, workloads, contenders, progress);
      const streaming = variants.filter((v) => v.streams).map((v) => v.id);
      return {
        workloadLines: [
          `unary: \`client.Echo(payload, callback)\` of a generated @grpc/grpc-js client (proto-loader), ` +
            `${PAYLOAD_BYTES}-byte \`bytes\` payload echoed back, concurrency ${options.concurrencies.join(' and ')} ` +
            `(independent request loops)`,
          `stream: \`client.ServerStream({ count: ${STREAM_MESSAGES} })\`, ${STREAM_MESSAGES.toLocaleString('en-US')} ` +
            `messages of ${STREAM_MESSAGE_BYTES} bytes read to the end, one stream at a time; msg/s counts messages, ` +
            `latency is the time for one whole stream; the lead-in before each piece is a ${LEAD_IN_STREAM_MESSAGES}-message ` +
            `stream; run by ${streaming.length === variants.length ? 'every variant' : streaming.join(', ')}`,
          'across processes, the servers that answer HTTP/2 (grpc.Server, FriendsGrpcServer, and a FriendsGrpcServer ' +
            'offering no unix socket) share one child process, so the no-penalty ratios compare server classes, not ' +
            'process placement; the unix tier has its own child',
          'each variant has its own client and connection; the path of every variant is checked with ' +
            "the client process's per-tier counters (which of memory, unix moved during a call; neither is HTTP/2) " +
            'before measuring and after every piece',
        ],
        workloads,
        variants: [...variants, ...reported],
        results,
        targets: GRPC_TARGETS,
      };
    } finally {
      for (const client of clients) client.close();
      await pool.close();
    }
  },
};
