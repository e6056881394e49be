import { fork, type ChildProcess } from 'node:child_process';
import type { SuiteName } from './options.js';
import type { SuiteOutcome } from './suite.js';

/**
 * Set in a process that runs one suite for the run that forked it: it sends
 * its outcome back instead of writing a report.
 */
const SUITE_APART = 'FRIENDS_BENCH_SUITE_APART';

const running = new Set<ChildProcess>();

/** The suite this process runs for its parent, if it runs one. */
export function suiteApart(): SuiteName | undefined {
  const name = process.env[SUITE_APART];
  return name === 'nest' || name === 'grpc' ? name : undefined;
}

/**
 * Runs one suite in a process of its own, with the options this run was given
 * (`argv`). Suites measured one after the other in one process do not start
 * alike: what the first leaves in the process (its heap, its collector's
 * pace, connections it closed but the runtime still holds) slowed the
 * second's one-process variants, floors included, by up to 2× on 2 vCPUs.
 */
export function runSuiteApart(name: SuiteName, argv: readonly string[]): Promise<SuiteOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, [...argv, '--suite', name], {
      env: { ...process.env, [SUITE_APART]: name },
      execArgv: process.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    running.add(child);
    let outcome: SuiteOutcome | undefined;
    child.once('message', (message) => (outcome = message as SuiteOutcome));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (outcome) resolve(outcome);
      else
        reject(new Error(`the ${name} suite's process ended (${signal ?? `exit code ${code}`}) without its figures`));
    });
  });
}

/** Sends this process's outcome to the run that forked it, then lets it end. */
export function sendOutcome(outcome: SuiteOutcome): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(outcome, undefined, {}, (err) => {
      if (err) reject(err);
      else {
        process.disconnect();
        resolve();
      }
    }),
  );
}

/** Suite processes must not outlive the run, however it ends. */
export function killSuitesApart(): void {
  for (const child of running) child.kill('SIGTERM');
}
