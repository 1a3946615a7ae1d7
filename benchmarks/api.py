"""Scheduler API round trips against a simulated devcluster.

Prints: 1,000 sequential getJobs calls over one
kept-alive connection (calls/s), and getTasksWithoutConfigs for a
10,000-instance job (seconds and megabytes on the wire).

    .venv/bin/python benchmarks/api.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aurora.api.client import SchedulerClient  # noqa: E402
from aurora.api.idl import api  # noqa: E402
from aurora.api.transport import HttpTransport  # noqa: E402
from tests.support.devcluster import Devcluster, wait_for  # noqa: E402
from tests.support.jobs import job, process  # noqa: E402

CALLS = 1000
INSTANCES = 10_000


class CountingClient(SchedulerClient):
    """Counts the reply bytes that come over the wire."""

    received = 0

    def _once(self, method, body, seqid, service, deadline):
        if self._transport is None:
            self._transport = HttpTransport(self._api_url, self.http)
        transport = self._transport
        if not getattr(transport, "_counting", False):
            post = transport.post

            def counted(body: bytes, deadline: float) -> bytes:
                data = post(body, deadline)
                CountingClient.received += len(data)
                return data
            transport.post, transport._counting = counted, True
        return super()._once(method, body, seqid, service, deadline)


def main() -> int:
    with tempfile.TemporaryDirectory() as state:
        cluster = Devcluster(Path(state), executor="simulate")
        cluster.start()
        try:
            client = CountingClient("devcluster", cluster.url)
            client.create_job(job("small", [process("p", "true")], instances=3, service=True))
            start = time.perf_counter()
            for _ in range(CALLS):
                client.get_jobs("www-data")
            elapsed = time.perf_counter() - start
            print(f"getJobs: {CALLS} sequential calls in {elapsed:.2f}s = "
                  f"{CALLS / elapsed:,.0f} calls/s ({elapsed / CALLS * 1000:.2f} ms per call)")

            big = job("big", [process("p", "true")], instances=INSTANCES, service=True)
            start = time.perf_counter()
            client.create_job(big)
            print(f"createJob with {INSTANCES:,} instances: {time.perf_counter() - start:.2f}s")
            query = api().TaskQuery(jobKeys=[big.key])
            wait_for(lambda: all(t.status == api().ScheduleStatus.RUNNING
                                 for t in client.get_tasks_without_configs(query)),
                     timeout=120, interval=1, what="all RUNNING")
            CountingClient.received = 0
            start = time.perf_counter()
            tasks = client.get_tasks_without_configs(query)
            elapsed = time.perf_counter() - start
            print(f"getTasksWithoutConfigs, {len(tasks):,} tasks: {elapsed:.2f}s, "
                  f"{CountingClient.received / 1e6:.1f} MB on the wire")
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
