// The official @azure/communication-identity client issuing tokens against the emulator, for `cargo xtask bench`.
//
// Usage: node bench_identity.mjs <concurrency> <count> <warmup> <max_seconds>
//   concurrency 1 is a plain `await` loop; more keeps that many calls in flight on the event loop.
// Run next to the node_modules that `cargo xtask interop` installs (ESM resolves packages beside the script), with
// ACS_CONNECTION_STRING (http endpoint). Creates one user, makes `warmup` calls, then `count` measured calls (fewer
// if `max_seconds` runs out) and prints one JSON line, the shape every bench client prints:
//   {"calls", "errors", "elapsed_s", "cpu_s", "max_rss_kb", "latency_us": {"p50", "p99", "max"}}
// cpu_s is this process's user + system time (all threads) during the measured calls only.

import { CommunicationIdentityClient } from "@azure/communication-identity";

const [concurrency, count, warmup] = process.argv.slice(2, 5).map(Number);
const maxSeconds = Number(process.argv[5]);
const connectionString = process.env.ACS_CONNECTION_STRING ?? "";
if (!(concurrency >= 1) || !(count >= 0) || !(warmup >= 0) || !(maxSeconds > 0)) {
  console.error("usage: node bench_identity.mjs <concurrency> <count> <warmup> <max_seconds>");
  process.exit(2);
}
if (!/endpoint=http:\/\//i.test(connectionString)) {
  console.error("set ACS_CONNECTION_STRING=endpoint=http://...;accesskey=...");
  process.exit(2);
}

// Over plain http the SDK refuses to send unless told.
const client = new CommunicationIdentityClient(connectionString, { allowInsecureConnection: true });
const user = await client.createUser();
const scopes = ["chat"];

async function phase(calls, deadline) {
  const latencies = [];
  let remaining = calls;
  let errors = 0;
  async function worker() {
    while (remaining > 0 && performance.now() < deadline) {
      remaining -= 1;
      const started = process.hrtime.bigint();
      try {
        await client.getToken(user, scopes);
      } catch {
        errors += 1;
        continue;
      }
      latencies.push(Number(process.hrtime.bigint() - started));
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors };
}

const deadline = performance.now() + maxSeconds * 1000;
await phase(warmup, deadline);
const cpu = process.cpuUsage();
const started = performance.now();
const { latencies, errors } = await phase(count, deadline);
const elapsed = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);

latencies.sort((a, b) => a - b);
// Nearest rank, in microseconds.
const percentile = (p) =>
  latencies.length === 0 ? 0 : latencies[Math.max(1, Math.ceil((latencies.length * p) / 100)) - 1] / 1000;
console.log(
  JSON.stringify({
    calls: latencies.length,
    errors,
    elapsed_s: elapsed,
    cpu_s: (used.user + used.system) / 1e6,
    max_rss_kb: process.resourceUsage().maxRSS,
    latency_us: { p50: percentile(50), p99: percentile(99), max: percentile(100) },
  }),
);
