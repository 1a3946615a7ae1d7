"""SchedulerClient: the one way to call a scheduler, with retries and error mapping.

Every RPC goes through `call`, which

* encodes the call once (an argument that cannot be encoded is an input error,
  never sent, never retried) and checks that the reply answers it;
* bounds the whole call, retries included, by one deadline (`--timeout`);
* sends a write (any method not in `IDEMPOTENT`) at most once: it is sent
  again only when the earlier attempt provably never left (no connection), or
  when the scheduler itself answered ERROR_TRANSIENT (it did not act). When a
  write may have arrived but no answer came back, `outcome.unknown` decides
  what to tell the user - nothing is guessed;
* retries reads after transport failures, 502/503/504 and ERROR_TRANSIENT with
  capped exponential backoff, saying so once on stderr; a refused connection to
  a loopback scheduler without ZooKeeper is not retried (nothing listens);
* turns a non-OK response into `SchedulerError` carrying the scheduler's own
  messages (AUTH_FAILED becomes `AuthError`, exit 30). This is the only place a
  response becomes an error: a command that words a refusal its own way, or
  gives it another exit code, passes a `Refusal` with the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aurora.api.idl import api, response_code_name
from aurora.api.transport import (
    ConnectFailed,
    HttpOptions,
    HttpTransport,
    TlsError,
    TransientHttpError,
    TransportFailure,
    api_url,
    redact,
)
from aurora.errors import ApiError, AuroraError, AuthError, ExitCode, SchedulerTimeout

# The read methods: they change nothing, so sending one again is always safe.
# Every other method is a write and is sent at most once per command.
IDEMPOTENT = frozenset({
    "getRoleSummary", "getJobSummary", "getTasksStatus", "getTasksWithoutConfigs",
    "getPendingReason", "getConfigSummary", "getJobs", "getQuota", "populateJobConfig",
    "getJobUpdateSummaries", "getJobUpdateDetails", "getJobUpdateDiff", "getTierConfigs",
})


class Refusal:
    """How one command reports the scheduler's refusal of a call.

    The message becomes `<prefix> <the scheduler's words>` and the exit code
    `exit_code` (upstream gives some commands 3 or 4 rather than 10). `accept`
    may declare a refusal a success (its Response is returned); `hint` may name
    the fix from the refused Response. (A plain class, not a dataclass: see
    "Start-up time" in docs/architecture.md.)
    """

    __slots__ = ("prefix", "exit_code", "accept", "hint")

    def __init__(self, prefix: str, exit_code: int = ExitCode.API_ERROR,
                 accept: Callable[[Any], bool] | None = None,
                 hint: Callable[[Any, str], str | None] | None = None):
        self.prefix, self.exit_code, self.accept, self.hint = prefix, exit_code, accept, hint


class SchedulerError(ApiError):
    """A non-OK answer; `details` are the scheduler's messages, verbatim."""

    def __init__(self, method: str, response: Any, endpoint: str,
                 refused: Refusal | None = None):
        self.response = response
        self.method = method
        self.code_name = response_code_name(response.responseCode)
        self.details = [d.message or "Unknown error" for d in (response.details or [])]
        from aurora.api.codec import printable

        text = ", ".join(printable(d, 4000) for d in self.details) or self.code_name
        locked = self.code_name == "JOB_UPDATING_ERROR" and "abort" not in text  # as upstream
        super().__init__(text, hint="the job is locked by an active update: run 'aurora "
                                    "update abort' or wait for the update to finish"
                         if locked else None)
        self.endpoint = endpoint
        if refused is not None:
            said = str(self)
            self.message, self.exit_code = f"{refused.prefix} {said}", refused.exit_code
            self.hint = refused.hint(response, said) if refused.hint else None


class RetryPolicy:
    """How a call that may be resent is tried again."""

    def __init__(self, retries: int = 5, budget: float = 60.0, initial_delay: float = 0.5,
                 max_delay: float = 8.0):
        self.retries = retries          # attempts after the first
        self.budget = budget            # seconds for all attempts (also capped by timeout)
        self.initial_delay = initial_delay
        self.max_delay = max_delay

    def delays(self) -> list[float]:
        out, delay = [], self.initial_delay
        for _ in range(self.retries):
            out.append(delay)
            delay = min(delay * 2, self.max_delay)
        return out


def is_loopback(url: str) -> bool:
    from aurora.api.urls import split

    host = split(url).hostname or ""
    if host == "localhost":
        return True
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:            # the forms the resolver also takes: 127.1, 0x7f.1, 2130706433
        return ipaddress.ip_address(socket.inet_aton(host)).is_loopback
    except (OSError, ValueError):
        return False


class SchedulerClient:
    """Typed access to one cluster's scheduler over one kept-alive connection."""

    def __init__(self, cluster_name: str, base_url: str, http: HttpOptions | None = None,
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 resolve: Callable[[], str] | None = None,
                 progress: Callable[[str], None] | None = None,
                 trace: Callable[[str], None] | None = None):
        self.cluster_name = cluster_name
        self.resolve = resolve      # ZooKeeper clusters: find the leader again on failure
        self.http = http or HttpOptions()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._progress = progress
        self._trace = trace         # -v: each call with its duration and outcome
        self._transport: HttpTransport | None = None
        self._seqid = 0
        self._set_base(base_url)

    def _set_base(self, base: str) -> None:
        self.base_url = base
        self._api_url = api_url(base)
        self.url = redact(self._api_url)      # for messages: never a password

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None

    def _where(self) -> str:
        return f"cluster {self.cluster_name} ({self.url})"

    def _once(self, method: str, body: bytes, seqid: int, service: Any,
              deadline: float) -> Any:
        from aurora.api.codec import decode_reply

        if self._transport is None:
            self._transport = HttpTransport(self._api_url, self.http, self._trace)
        started = time.monotonic()
        try:
            data = self._transport.post(body, deadline)
            response = decode_reply(service, method, seqid, data, self._where())
        except AuroraError as exc:
            self._traced(method, started, f"failed ({exc.message})")
            self.close()
            raise
        self._traced(method, started, response_code_name(response.responseCode))
        return response

    def _traced(self, method: str, started: float, outcome: str) -> None:
        """One line per call with -v: method, where it went, how long it took, outcome."""
        if self._trace is not None:
            where = self._transport.answered_by if self._transport else None
            self._trace(f"{method} {where or self.url}: {outcome} in "
                        f"{(time.monotonic() - started) * 1000:.1f} ms")

    def _may_retry(self, method: str, failure: AuroraError) -> bool:
        if isinstance(failure, TlsError):
            return False
        if isinstance(failure, ConnectFailed) and not failure.sent:
            return self.resolve is not None or not is_loopback(self._api_url)
        if method not in IDEMPOTENT:
            return False
        return isinstance(failure, (TransientHttpError, ConnectFailed))

    def call(self, method: str, *args: Any, service: Any = None,
             refused: Refusal | None = None, _deadline: float | None = None) -> Any:
        """Call `method`; return the OK Response or raise with the exit code it deserves.

        `refused` words a refusal for the command that made the call.

        `service` may be a slimmer view of the API whose reply structs leave fields
        out: the binary protocol skips what a struct does not name (see
        `views.keys_only_service`).
        """
        from aurora.api.codec import encode_call

        started = time.monotonic()
        deadline = _deadline or started + min(self.retry.budget, self.http.timeout)
        service = service or api().AuroraAdmin
        self._seqid += 1
        seqid = self._seqid
        body = encode_call(service, method, args, seqid)
        delays = self.retry.delays() if _deadline is None else []  # settling reads: once
        for attempt in range(1, len(delays) + 2):
            failure = self._attempt(method, args, body, seqid, service, deadline, refused)
            if not isinstance(failure, AuroraError):
                return failure
            if attempt > len(delays):
                raise self._exhausted(method, attempt, failure, started)
            if time.monotonic() + delays[attempt - 1] >= deadline:
                raise SchedulerTimeout(str(self._exhausted(method, attempt, failure, started)))
            self._announce(method, attempt, failure, delays)
            self._sleep(delays[attempt - 1])
            if self.resolve is not None and not isinstance(failure, SchedulerError):
                self._re_resolve()
        raise AssertionError("unreachable")

    def _attempt(self, method: str, args: tuple, body: bytes, seqid: int, service: Any,
                 deadline: float, refused: Refusal | None = None) -> Any:
        """The OK Response, or the failure to retry on; raises what may not be retried."""
        from aurora.api.codec import BadReply

        try:
            response = self._once(method, body, seqid, service, deadline)
        except (TransportFailure, SchedulerTimeout, BadReply) as exc:
            if getattr(exc, "sent", True) and method not in IDEMPOTENT \
                    and not isinstance(exc, TlsError):
                from aurora.api.outcome import unknown

                error = unknown(self, method, args, exc, deadline)
                if error is None:
                    self._tell(f"aurora: the answer to {method} was lost, but a read shows "
                               "it took effect")
                    return api().Response(responseCode=api().ResponseCode.OK, details=[])
                raise error from None
            if isinstance(exc, SchedulerTimeout):
                raise SchedulerTimeout(f"cluster {self.cluster_name}: {exc.message}") from None
            if not self._may_retry(method, exc):
                raise self._labelled(exc, f" (during {method}, not retried)") from None
            return exc
        return self._answer(method, response, refused)

    def _answer(self, method: str, response: Any, refused: Refusal | None) -> Any:
        """The OK (or accepted) Response, or the refusal as an error; a transient one is
        returned to be retried."""
        code = response.responseCode
        if code == api().ResponseCode.OK or (refused and refused.accept
                                            and refused.accept(response)):
            return response
        error = SchedulerError(method, response, self.url, refused)
        if code == api().ResponseCode.AUTH_FAILED:
            raise AuthError(f"{self._where()} refused {method}: {error}",
                            hint="check your credentials and the cluster's auth_mechanism")
        if code != api().ResponseCode.ERROR_TRANSIENT:
            raise error
        return error                # the scheduler says it did not act: safe to ask again

    def _tell(self, line: str) -> None:
        """A retry, told through the `progress` callback the client was given (the CLI
        prints it); without one, as a warning of the `aurora.api` logger."""
        if self._progress is not None:
            self._progress(line)
        else:
            import logging

            logging.getLogger("aurora.api").warning("%s", line)

    def _announce(self, method: str, attempt: int, failure: AuroraError,
                  delays: list[float]) -> None:
        """One line on stderr after the first failure; later ones only with -v."""
        text = (f"{method} to {self._where()} failed ({failure.message}); retry {attempt} of "
                f"{len(delays)} in {delays[attempt - 1]:.1f}s")
        if attempt == 1:
            self._tell(f"aurora: {text}")
        else:
            import logging

            logging.getLogger("aurora.api").info("%s", text)

    def _re_resolve(self) -> None:
        """Ask ZooKeeper for the leader again; a leader change moves us to the new one."""
        try:
            base = self.resolve()  # type: ignore[misc] - only called when it is set
        except AuroraError:
            return              # keep the old endpoint; the next attempt reports the failure
        if base != self.base_url:
            self.close()
            self._set_base(base)

    def _exhausted(self, method: str, attempts: int, failure: AuroraError,
                   started: float) -> AuroraError:
        tail = (f" (gave up on {method} after {attempts} attempt(s) in "
                f"{time.monotonic() - started:.1f}s)")
        if isinstance(failure, SchedulerError):
            failure.message += tail
            return failure
        return self._labelled(failure, tail)

    def _labelled(self, failure: AuroraError, tail: str = "") -> AuroraError:
        """`failure` with the cluster's name in front (messages already name the URL)."""
        if failure.message.startswith(self._where()):
            failure.message += tail
            return failure
        return type(failure)(f"cluster {self.cluster_name}: {failure.message}{tail}",
                             hint=failure.hint)

    def result(self, response: Any, method: str, field: str) -> Any:
        """`response.result.<field>`, or exit 10 when an OK answer does not carry it."""
        value = getattr(response.result, field, None) if response.result is not None else None
        if value is None:
            raise ApiError(f"{self._where()} answered {method} OK but without its result "
                           f"({field})", hint="the scheduler may be a different version; "
                                              "run the command again")
        return value

    # -- typed methods (names follow the thrift API) -----------------------------
    def _read(self, method: str, field: str, *args: Any, service: Any = None,
              refused: Refusal | None = None) -> Any:
        return self.result(self.call(method, *args, service=service, refused=refused),
                           method, field)

    def get_jobs(self, role: str | None = None) -> Any:
        return self._read("getJobs", "getJobsResult", role)

    def get_job_keys(self, role: str | None = None) -> list[tuple[str, str, str]]:
        """getJobs, decoding only each job's key: listing 100,000 jobs stays cheap."""
        from aurora.api.views import keys_only_service

        result = self._read("getJobs", "getJobsResult", role, service=keys_only_service())
        keys = [(c.key.role, c.key.environment, c.key.name) for c in result.configs or []]
        keys.sort()
        return keys

    def get_tasks_status(self, query: Any, refused: Refusal | None = None) -> list[Any]:
        return self._read("getTasksStatus", "scheduleStatusResult", query,
                          refused=refused).tasks or []

    def get_tasks_without_configs(self, query: Any) -> list[Any]:
        return self._read("getTasksWithoutConfigs", "scheduleStatusResult", query).tasks or []

    def get_task_events(self, query: Any, refused: Refusal | None = None) -> list[Any]:
        """getTasksWithoutConfigs decoding only each task's ids, host, status and events."""
        from aurora.api.views import task_events_service

        result = self._read("getTasksWithoutConfigs", "scheduleStatusResult", query,
                            service=task_events_service(), refused=refused)
        return result.tasks or []

    def get_pending_reasons(self, query: Any) -> dict[str, str]:
        """Task id -> why the scheduler has not placed that PENDING task ('' when it has
        not said): getPendingReason, whose query names no statuses."""
        result = self._read("getPendingReason", "getPendingReasonResult", query)
        return {r.taskId: r.reason or "" for r in result.reasons or ()}

    def get_quota(self, role: str, refused: Refusal | None = None) -> Any:
        return self._read("getQuota", "getQuotaResult", role, refused=refused)

    def get_tier_configs(self) -> Any:
        return self._read("getTierConfigs", "getTierConfigResult")

    def populate_job_config(self, config: Any, refused: Refusal | None = None) -> Any:
        return self._read("populateJobConfig", "populateJobResult", config, refused=refused)

    def create_job(self, config: Any, refused: Refusal | None = None) -> Any:
        return self.call("createJob", config, refused=refused)

    def kill_tasks(self, job_key: Any, instances: set[int] | None, message: str | None) -> Any:
        return self.call("killTasks", job_key, instances, message)

    def restart_shards(self, job_key: Any, instances: set[int]) -> Any:
        return self.call("restartShards", job_key, instances)

    def add_instances(self, instance_key: Any, count: int) -> Any:
        return self.call("addInstances", instance_key, count)
