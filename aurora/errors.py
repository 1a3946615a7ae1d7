"""Exit codes and the exception types that carry them.

This is the only place that knows which failure maps to which exit status.
Code anywhere raises one of these; `aurora.cli` turns it into a one-line message
on stderr and the process exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses, numerically identical to the upstream client's."""

    OK = 0
    INVALID_CONFIGURATION = 3
    COMMAND_FAILURE = 4
    INVALID_COMMAND = 5
    INVALID_PARAMETER = 6
    NETWORK_ERROR = 7
    TIMEOUT = 9
    API_ERROR = 10
    UNKNOWN_ERROR = 20
    AUTH_ERROR = 30
    INTERRUPTED = 130


class AuroraError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback.

    `message` says what went wrong; `hint`, when given, says how to fix it and is
    printed on the same line after a semicolon.
    """

    exit_code: ExitCode = ExitCode.UNKNOWN_ERROR

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            # A site's hook may ask for any status (upstream hooks often return 1).
            known = exit_code in ExitCode._value2member_map_
            self.exit_code = ExitCode(exit_code) if known else int(exit_code)  # type: ignore

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class ConfigurationError(AuroraError):
    """Unknown cluster, malformed clusters.json/client.toml, invalid job file."""

    exit_code = ExitCode.INVALID_CONFIGURATION


class CommandFailure(AuroraError):
    """The command could not do what was asked (e.g. create refused, hook veto)."""

    exit_code = ExitCode.COMMAND_FAILURE


class UsageError(AuroraError):
    """The command line itself is wrong: unknown noun/verb, bad option."""

    exit_code = ExitCode.INVALID_COMMAND


class InvalidParameter(AuroraError):
    """A well-formed command with a bad value: job key, instance list, no such job."""

    exit_code = ExitCode.INVALID_PARAMETER


class NetworkError(AuroraError):
    """The scheduler could not be reached or answered at the transport level."""

    exit_code = ExitCode.NETWORK_ERROR


class SchedulerTimeout(AuroraError):
    """A call to the scheduler ran out of time or retries."""

    exit_code = ExitCode.TIMEOUT


class ApiError(AuroraError):
    """The scheduler answered with a non-OK response code."""

    exit_code = ExitCode.API_ERROR


class AuthError(AuroraError):
    """The scheduler refused our credentials (HTTP 401/403 or AUTH_FAILED)."""

    exit_code = ExitCode.AUTH_ERROR


class PluginError(AuroraError):
    """A plugin failed to load or register and strict mode is on."""

    exit_code = ExitCode.UNKNOWN_ERROR
