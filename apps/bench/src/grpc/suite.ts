import type { Contender } from '../contender.js';
import { UNIX_FLOOR, UnixEcho } from '../floor/unix-echo.js';
import { runRounds } from '../rounds.js';
import type { Suite } from '../suite.js';
import { selectVariants, variantInfo } from '../variant.js';
import type { EchoStub } from './echo-service.js';
import { cannedFloor, connectGrpcVariants } from './run.js';
import { GrpcServerPool } from './servers.js';
import { grpcTargets } from './targets.js';
import { GRPC_FLOOR, GRPC_VARIANT_IDS, GRPC_VARIANTS } from './variants.js';
import { BIDI_MESSAGES, grpcWorkloads, MESSAGE_BYTES, STREAM_MESSAGES } from './workloads.js';

export const grpcSuite: Suite = {
  name: 'grpc',
  title: 'gRPC (@grpc/grpc-js)',
  workloads: grpcWorkloads,
  variantIds: GRPC_VARIANT_IDS,
  async run(options, plan, variantIds, progress) {
    const started = Date.now();
    const variants = selectVariants(GRPC_VARIANTS, variantIds);
    const wanted = (id: string): boolean => !variantIds || variantIds.includes(id);
    const workloads = this.workloads(options);
    const pool = new GrpcServerPool();
    const stubs: EchoStub[] = [];
    let echo: UnixEcho | undefined;
    try {
      const contenders: Contender[] = await connectGrpcVariants(variants, workloads, pool, stubs);
      if (wanted(GRPC_FLOOR.id)) contenders.push(await cannedFloor(workloads, stubs));
      if (wanted(UNIX_FLOOR.id)) contenders.push((echo = await UnixEcho.start()).contender(workloads));
      const { results, failures } = await runRounds('grpc', plan, workloads, contenders, progress);
      const ran = new Set(contenders.map((c) => c.id));
      return {
        name: 'grpc',
        title: this.title,
        notes: [
          '`n B, c=k`: `client.Echo(payload, callback)` of a generated grpc-js client (proto-loader), an n-byte ' +
            '`bytes` field echoed back, k independent request loops',
          `server stream: \`client.ServerStream({ count: ${STREAM_MESSAGES} })\`, ${STREAM_MESSAGES.toLocaleString('en-US')} ` +
            `messages of ${MESSAGE_BYTES} bytes read to the end; msg/s counts messages`,
          `bidi: one \`client.Bidi()\` call, ${BIDI_MESSAGES} messages of ${MESSAGE_BYTES} bytes, each written once the ` +
            'echo of the one before has come back (ping-pong); msg/s counts round trips',
          'gRPC has no fire-and-forget events: no events workload',
          'across processes, the servers that answer HTTP/2 (grpc.Server, FriendsGrpcServer, and a FriendsGrpcServer ' +
            'offering no fast tier) share one child process, so the no-penalty ratios compare server classes, not ' +
            'process placement; the unix tier has its own child',
          'each variant has its own client and connection; the path of every variant is checked with the client ' +
            "process's per-tier counters (which of memory, unix moved during a call; neither is HTTP/2) on every " +
            'workload before measuring, and with one small call after every piece',
          `${GRPC_FLOOR.id}: ${GRPC_FLOOR.label}: a load-balancing policy whose picked subchannel's \`createCall\` ` +
            "returns a call that answers each message at once (an echo, or the canned stream), under grpc-js's " +
            'channel, resolving, retrying and load-balancing calls and filters, as a friend link sits under them',
        ],
        workloads,
        variants: [...variants, GRPC_FLOOR, UNIX_FLOOR].filter((v) => ran.has(v.id)).map(variantInfo),
        results,
        failures,
        targets: grpcTargets(workloads),
        wallSeconds: (Date.now() - started) / 1e3,
      };
    } finally {
      for (const stub of stubs) stub.close();
      await echo?.close();
      await pool.close();
    }
  },
};
