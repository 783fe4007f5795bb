"""The official azure-communication-identity Python client issuing tokens against the emulator, for `cargo xtask bench`.

Usage: python bench_identity.py <sync|async> <concurrency> <count> <warmup> <max_seconds>
  sync   CommunicationIdentityClient (requests): concurrency 1 is a plain loop, more is that many threads sharing
         one client (its connection pool sized to match, as a user would configure it)
  async  aio.CommunicationIdentityClient (aiohttp): that many calls in flight on one event loop
Environment: ACS_CONNECTION_STRING (http endpoint). Creates one user, makes `warmup` calls, then `count` measured
calls (fewer if `max_seconds` runs out) and prints one JSON line, the shape every bench client prints:
  {"calls", "errors", "elapsed_s", "cpu_s", "max_rss_kb", "latency_us": {"p50", "p99", "max"}}
cpu_s is this process's user + system time (all threads) during the measured calls only.
"""

import asyncio
import json
import os
import resource
import sys
import threading
import time

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope
from azure.core.credentials import AzureKeyCredential

SCOPES = [CommunicationTokenScope.CHAT]


def config():
    parts = dict(p.split("=", 1) for p in os.environ.get("ACS_CONNECTION_STRING", "").split(";") if "=" in p)
    parts = {k.strip().lower(): v.strip() for k, v in parts.items()}
    endpoint, key = parts.get("endpoint", "").rstrip("/"), parts.get("accesskey", "")
    if not endpoint.startswith("http://") or not key:
        sys.exit("set ACS_CONNECTION_STRING=endpoint=http://...;accesskey=...")
    # from_connection_string forces https: the constructor keeps the http endpoint (see xtask/interop/README.md).
    return endpoint, AzureKeyCredential(key)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(latencies_ns, errors, elapsed, cpu):
    latencies = sorted(latencies_ns)

    def percentile(p):
        if not latencies:
            return 0.0
        rank = max(1, -(-len(latencies) * p // 100))  # nearest rank
        return latencies[int(rank) - 1] / 1000

    print(json.dumps({
        "calls": len(latencies),
        "errors": errors,
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "latency_us": {"p50": percentile(50), "p99": percentile(99), "max": percentile(100)},
    }), flush=True)


def sync_client(endpoint, credential, concurrency):
    if concurrency <= 10:
        return CommunicationIdentityClient(endpoint, credential)
    # requests keeps at most 10 connections per host: more threads would open and discard connections on every
    # call. Give the pool one per thread, with the transport's own adapter settings.
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_maxsize=concurrency, max_retries=Retry(total=False, redirect=False, raise_on_status=False)
    )
    session.mount("http://", adapter)
    return CommunicationIdentityClient(endpoint, credential, transport=RequestsTransport(session=session))


def run_sync(concurrency, count, warmup, max_seconds):
    client = sync_client(*config(), concurrency)
    user = client.create_user()

    def phase(calls, deadline):
        latencies, errors, lock = [], [0], threading.Lock()
        remaining = [calls]

        def worker():
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter_ns()
                try:
                    client.get_token(user, SCOPES)
                except Exception:  # noqa: BLE001 - counted, the run goes on
                    with lock:
                        errors[0] += 1
                    continue
                latencies.append(time.perf_counter_ns() - started)

        if concurrency == 1:
            worker()
        else:
            threads = [threading.Thread(target=worker) for _ in range(concurrency)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return latencies, errors[0]

    deadline = time.monotonic() + max_seconds
    phase(warmup, deadline)
    cpu, started = cpu_seconds(), time.perf_counter()
    latencies, errors = phase(count, deadline)
    report(latencies, errors, time.perf_counter() - started, cpu_seconds() - cpu)


async def run_async(concurrency, count, warmup, max_seconds):
    from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

    endpoint, credential = config()
    async with AsyncClient(endpoint, credential) as client:
        user = await client.create_user()

        async def phase(calls, deadline):
            latencies, errors = [], [0]
            remaining = [calls]

            async def worker():
                while time.monotonic() < deadline and remaining[0] > 0:
                    remaining[0] -= 1
                    started = time.perf_counter_ns()
                    try:
                        await client.get_token(user, SCOPES)
                    except Exception:  # noqa: BLE001 - counted, the run goes on
                        errors[0] += 1
                        continue
                    latencies.append(time.perf_counter_ns() - started)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return latencies, errors[0]

        deadline = time.monotonic() + max_seconds
        await phase(warmup, deadline)
        cpu, started = cpu_seconds(), time.perf_counter()
        latencies, errors = await phase(count, deadline)
        report(latencies, errors, time.perf_counter() - started, cpu_seconds() - cpu)


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("sync", "async"):
        sys.exit(__doc__)
    mode = sys.argv[1]
    concurrency, count, warmup = (int(a) for a in sys.argv[2:5])
    max_seconds = float(sys.argv[5])
    if mode == "sync":
        run_sync(concurrency, count, warmup, max_seconds)
    else:
        asyncio.run(run_async(concurrency, count, warmup, max_seconds))


if __name__ == "__main__":
    main()
