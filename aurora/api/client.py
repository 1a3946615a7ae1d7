"""SchedulerClient: the one way to call a scheduler, with retries and error mapping.

Every RPC goes through `call`, which

* retries ERROR_TRANSIENT answers and HTTP 502/503/504 with capped exponential
  backoff, for every method;
* retries transport failures (refused, reset, timed out) only for idempotent
  methods, as upstream does;
* stops after `retries` attempts or `budget` seconds, whichever comes first;
* turns a non-OK response into `SchedulerError` carrying the scheduler's own
  messages (AUTH_FAILED becomes `AuthError`, exit 30).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aurora.api.idl import api, response_code_name
from aurora.api.transport import (
    ConnectFailed,
    HttpOptions,
    HttpTransport,
    TransientHttpError,
    api_url,
)
from aurora.errors import ApiError, AuroraError, AuthError, NetworkError, SchedulerTimeout

# Methods that change nothing (or are safe to repeat) and may be retried on a
# transport failure. startJobUpdate is reconciled by the caller (metadata id).
IDEMPOTENT = frozenset({
    "getRoleSummary", "getJobSummary", "getTasksStatus", "getTasksWithoutConfigs",
    "getPendingReason", "getConfigSummary", "getJobs", "getQuota", "populateJobConfig",
    "getJobUpdateSummaries", "getJobUpdateDetails", "getJobUpdateDiff", "getTierConfigs",
    "restartShards", "startJobUpdate",
})


class SchedulerError(ApiError):
    """A non-OK answer; `details` are the scheduler's messages, verbatim."""

    def __init__(self, method: str, response: Any, endpoint: str):
        self.response = response
        self.method = method
        self.code_name = response_code_name(response.responseCode)
        self.details = [d.message or "Unknown error" for d in (response.details or [])]
        text = ", ".join(self.details) or self.code_name
        super().__init__(text)
        self.endpoint = endpoint


@dataclass
class RetryPolicy:
    retries: int = 5          # attempts after the first
    budget: float = 60.0      # seconds for all attempts of one call
    initial_delay: float = 0.5
    max_delay: float = 8.0

    def delays(self) -> list[float]:
        out, delay = [], self.initial_delay
        for _ in range(self.retries):
            out.append(delay)
            delay = min(delay * 2, self.max_delay)
        return out


class SchedulerClient:
    """Typed access to one cluster's scheduler over one kept-alive connection."""

    def __init__(self, cluster_name: str, base_url: str, http: HttpOptions | None = None,
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 resolve: Callable[[], str] | None = None):
        self.cluster_name = cluster_name
        self.resolve = resolve      # ZooKeeper clusters: find the leader again on failure
        self.base_url = base_url
        self.url = api_url(base_url)
        self.http = http or HttpOptions()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._transport: HttpTransport | None = None
        self._clients: dict[Any, Any] = {}

    def _thrift(self, service: Any = None) -> Any:
        """A thrift client for `service` (default: the full API) over our one connection."""
        from thriftpy2.thrift import TClient

        service = service or api().AuroraAdmin
        if service not in self._clients:
            if self._transport is None:
                from thriftpy2.protocol import TCyBinaryProtocol
                from thriftpy2.transport import TCyBufferedTransport

                self._transport = HttpTransport(self.url, self.http)
                self._protocol = TCyBinaryProtocol(TCyBufferedTransport(self._transport))
            self._clients[service] = TClient(service, self._protocol)
        return self._clients[service]

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None
        self._clients = {}

    def _where(self) -> str:
        return f"cluster {self.cluster_name} ({self.url})"

    def _once(self, method: str, args: tuple, service: Any = None) -> Any:
        from thriftpy2.thrift import TApplicationException, TException
        from thriftpy2.transport import TTransportException

        try:
            return getattr(self._thrift(service), method)(*args)
        except AuroraError:
            self.close()
            raise
        except Exception as exc:
            garbled = (TTransportException, TApplicationException, TException, EOFError,
                       ValueError, TypeError, UnicodeDecodeError)
            if not (isinstance(exc, garbled) or type(exc).__module__.startswith("thriftpy2")):
                raise
            self.close()
            raise NetworkError(f"{self._where()} answered {method} with something that is not "
                               f"a thrift reply ({type(exc).__name__}: {exc})") from None

    def call(self, method: str, *args: Any, service: Any = None) -> Any:
        """Call `method`; return the OK Response or raise with the exit code it deserves.

        `service` may be a slimmer view of the API whose reply structs leave fields
        out: the binary protocol skips what a struct does not name (see
        `idl.keys_only_service`).
        """
        started = time.monotonic()
        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            failure: AuroraError
            try:
                response = self._once(method, args, service)
            except TransientHttpError as exc:
                failure = exc
            except (NetworkError, SchedulerTimeout) as exc:
                if method not in IDEMPOTENT and not isinstance(exc, ConnectFailed):
                    raise type(exc)(f"{exc.message} during {method}, which is not retried "
                                    "because it is not idempotent", hint=exc.hint) from None
                failure = exc
            else:
                code = response.responseCode
                if code == api().ResponseCode.OK:
                    return response
                error = SchedulerError(method, response, self.url)
                if code == api().ResponseCode.AUTH_FAILED:
                    raise AuthError(f"{self._where()} refused {method}: {error}")
                if code != api().ResponseCode.ERROR_TRANSIENT:
                    raise error
                failure = error
            elapsed = time.monotonic() - started
            if attempt > len(delays) or elapsed + delays[attempt - 1] > self.retry.budget:
                raise self._exhausted(method, attempt, failure)
            delay = delays[attempt - 1]
            import logging

            logging.getLogger("aurora.api").info(
                "%s to %s failed (%s); retry %d of %d in %.1fs", method, self._where(), failure,
                attempt, len(delays), delay)
            self._sleep(delay)
            if self.resolve is not None and not isinstance(failure, SchedulerError):
                self._re_resolve()

    def _re_resolve(self) -> None:
        """Ask ZooKeeper for the leader again; a leader change moves us to the new one."""
        try:
            base = self.resolve()  # type: ignore[misc] - only called when it is set
        except AuroraError:
            return              # keep the old endpoint; the next attempt reports the failure
        if base != self.base_url:
            self.close()
            self.base_url, self.url = base, api_url(base)

    def _exhausted(self, method: str, attempts: int, failure: AuroraError) -> AuroraError:
        tail = f" (gave up on {method} after {attempts} attempt(s))"
        if isinstance(failure, SchedulerError):
            failure.message += tail
            return failure
        return type(failure)(f"cluster {self.cluster_name}: {failure.message}{tail}",
                             hint=failure.hint)

    # -- typed methods (names follow the thrift API) -----------------------------
    def get_jobs(self, role: str | None = None) -> Any:
        return self.call("getJobs", role).result.getJobsResult

    def get_job_keys(self, role: str | None = None) -> list[tuple[str, str, str]]:
        """getJobs, decoding only each job's key: listing 100,000 jobs stays cheap."""
        from aurora.api.idl import keys_only_service

        result = self.call("getJobs", role, service=keys_only_service()).result
        keys = [(c.key.role, c.key.environment, c.key.name)
                for c in result.getJobsResult.configs or []]
        keys.sort()
        return keys

    def get_job_summary(self, role: str | None = None) -> Any:
        return self.call("getJobSummary", role).result.jobSummaryResult

    def get_tasks_status(self, query: Any) -> list[Any]:
        return self.call("getTasksStatus", query).result.scheduleStatusResult.tasks or []

    def get_tasks_without_configs(self, query: Any) -> list[Any]:
        result = self.call("getTasksWithoutConfigs", query).result
        return result.scheduleStatusResult.tasks or []

    def get_task_events(self, query: Any) -> list[Any]:
        """getTasksWithoutConfigs decoding only each task's ids, host, status and events."""
        from aurora.api.idl import task_events_service

        result = self.call("getTasksWithoutConfigs", query, service=task_events_service()).result
        return result.scheduleStatusResult.tasks or []

    def get_pending_reason(self, query: Any) -> Any:
        return self.call("getPendingReason", query).result.getPendingReasonResult

    def get_config_summary(self, job_key: Any) -> Any:
        return self.call("getConfigSummary", job_key).result.configSummaryResult

    def get_role_summary(self) -> Any:
        return self.call("getRoleSummary").result.roleSummaryResult

    def get_quota(self, role: str) -> Any:
        return self.call("getQuota", role).result.getQuotaResult

    def get_tier_configs(self) -> Any:
        return self.call("getTierConfigs").result.getTierConfigResult

    def populate_job_config(self, config: Any) -> Any:
        return self.call("populateJobConfig", config).result.populateJobResult

    def create_job(self, config: Any) -> Any:
        return self.call("createJob", config)

    def kill_tasks(self, job_key: Any, instances: set[int] | None, message: str | None) -> Any:
        return self.call("killTasks", job_key, instances, message)

    def restart_shards(self, job_key: Any, instances: set[int]) -> Any:
        return self.call("restartShards", job_key, instances)

    def add_instances(self, instance_key: Any, count: int) -> Any:
        return self.call("addInstances", instance_key, count)
