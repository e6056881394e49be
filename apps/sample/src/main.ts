import { startMathService } from './math-service.js';

/** `node apps/sample/dist/main.js [port]`: the math microservice on its own. Prints "ready" once listening. */
const port = Number(process.argv[2] ?? process.env.PORT ?? 3101);
const app = await startMathService(port);
process.stdout.write(`ready ${port}\n`);

const stop = async (): Promise<void> => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.once('end', stop);
process.stdin.resume();
