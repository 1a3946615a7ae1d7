"""Thrift messages in and out, checked: a reply must answer the call that was made.

Encoding happens before anything is sent, so an argument that cannot be
serialized is our side's problem (`EncodeError`), never blamed on the
scheduler and never retried. A reply must be a REPLY for the same method with
the same sequence id and must carry a `Response`; anything else is `BadReply`.
"""

from __future__ import annotations

from typing import Any

from aurora.errors import ApiError, InvalidParameter, NetworkError


class EncodeError(InvalidParameter):
    """An argument of the call cannot be written as thrift (e.g. a number out of range)."""


class BadReply(NetworkError):
    """What came back is not a reply to our call."""


class RemoteException(ApiError):
    """The scheduler answered with a thrift exception instead of a Response."""


class _Sink:
    """Where the buffered transport puts a call's bytes: the same C writer the replies
    are read with, so a command loads one transport module, not two."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(bytes(data))

    def flush(self) -> None:
        pass


def encode_call(service: Any, method: str, args: tuple, seqid: int) -> bytes:
    from thriftpy2.protocol import TCyBinaryProtocol
    from thriftpy2.thrift import TMessageType, args_to_kwargs
    from thriftpy2.transport import TCyBufferedTransport

    args_cls = getattr(service, f"{method}_args")
    try:
        values = args_to_kwargs(args_cls.thrift_spec, *args)
        payload = args_cls(**values)
        sink = _Sink()
        out = TCyBufferedTransport(sink, 64 * 1024)
        protocol = TCyBinaryProtocol(out)
        protocol.write_message_begin(method, TMessageType.CALL, seqid)
        payload.write(protocol)
        protocol.write_message_end()
        out.flush()
        return b"".join(sink.parts)
    except Exception as exc:  # noqa: BLE001 - whatever thriftpy2 raises, it is our input
        raise EncodeError(f"cannot encode the {method} request: {exc}",
                          hint="a value is out of the range the scheduler's API allows; "
                               "check the job file and the numbers on the command line"
                          ) from None


def decode_reply(service: Any, method: str, seqid: int, data: bytes | bytearray,
                 where: str) -> Any:
    """The `Response` in `data`, after checking it answers call `seqid` of `method`."""
    from thriftpy2.protocol import TCyBinaryProtocol
    from thriftpy2.thrift import TApplicationException, TMessageType

    from aurora.api import wirecheck

    protocol = TCyBinaryProtocol(wirecheck.reader(data))
    try:
        if len(data) <= wirecheck.CLIENT_CHECK_BYTES:
            _check_claims(data, wirecheck.message_start(data), f"{where} answered {method}")
        name, kind, rseqid = protocol.read_message_begin()
        if kind == TMessageType.EXCEPTION:
            failure = TApplicationException()
            failure.read(protocol)
            raise RemoteException(f"{where} failed {method}: {failure.message or failure}")
        if kind != TMessageType.REPLY or name != method or rseqid != seqid:
            raise BadReply(f"{where} answered {method} (call {seqid}) with a reply to "
                           f"{printable(name)} (call {rseqid}); the answer was not used")
        result = getattr(service, f"{method}_result")()
        _read_without_collecting(result, protocol)
        protocol.read_message_end()
    except (RemoteException, BadReply):
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure means: not a reply
        raise BadReply(f"{where} answered {method} with something that is not a thrift "
                       f"reply ({type(exc).__name__}: {printable(str(exc))})") from None
    if getattr(result, "success", None) is None:
        raise BadReply(f"{where} answered {method} with a reply that holds no Response")
    code = result.success.responseCode
    if code not in _response_codes():
        which = "no response code" if code is None else f"an unknown response code {code}"
        raise BadReply(f"{where} answered {method} with a Response that has {which}")
    return result.success


def _response_codes() -> dict[int, str]:
    from aurora.api.idl import api

    return api().ResponseCode._VALUES_TO_NAMES


def _check_claims(data: bytes | bytearray, start: int, answered: str) -> None:
    """A reply whose counts claim more than it holds is refused before decoding."""
    from aurora.api import wirecheck

    try:
        wirecheck.check(data, start)
    except wirecheck.Malformed as exc:
        raise BadReply(f"{answered} with a malformed reply: {exc}") from None


def _read_without_collecting(result: Any, protocol: Any) -> None:
    """Decode with the cyclic garbage collector paused: a reply of 10,000 tasks is
    hundreds of thousands of new objects, none of them garbage. After a large reply
    they are frozen (moved out of the collector's generations), so that no later
    collection walks them all; they are still freed as usual when the last reference
    goes. Small replies (a polling loop's) are left to the collector as usual."""
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        result.read(protocol)
    finally:
        if paused:
            if gc.get_count()[0] > FREEZE_AFTER:
                gc.freeze()
            gc.enable()


FREEZE_AFTER = 100_000    # new container objects: a reply of a few thousand tasks


def printable(text: Any, limit: int = 80) -> str:
    """Server-supplied text made safe for one terminal line (control characters escaped)."""
    text = str(text)[:limit]
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
