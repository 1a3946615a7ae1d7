"""Our IDL describes the same wire contract as the scheduler's reference IDL."""

from __future__ import annotations

from typing import Any

import pytest
import thriftpy2

from aurora.api.idl import api
from tests.conftest import reference_idl


@pytest.fixture(scope="module")
def reference() -> Any:
    return thriftpy2.load(str(reference_idl()), module_name="reference_idl_thrift")


def _shape(spec: Any) -> Any:
    """A thrift_spec entry with classes replaced by their names."""
    if isinstance(spec, type):
        return spec.__name__
    if isinstance(spec, tuple):
        return tuple(_shape(s) for s in spec)
    if isinstance(spec, dict):
        return {k: _shape(v) for k, v in spec.items()}
    return spec


def _names(meta: list) -> list[str]:
    return [c.__name__ for c in meta]


def test_same_types(reference: Any) -> None:
    ours, ref = api().__thrift_meta__, reference.__thrift_meta__
    for kind in ("enums", "structs", "unions", "services"):
        assert sorted(_names(ours[kind])) == sorted(_names(ref[kind])), kind


def test_same_enum_values(reference: Any) -> None:
    for enum in reference.__thrift_meta__["enums"]:
        assert getattr(api(), enum.__name__)._VALUES_TO_NAMES == enum._VALUES_TO_NAMES


def test_same_fields_and_defaults(reference: Any) -> None:
    meta = reference.__thrift_meta__
    for cls in meta["structs"] + meta["unions"]:
        mine = getattr(api(), cls.__name__)
        assert {k: _shape(v[:3]) for k, v in mine.thrift_spec.items()} == \
            {k: _shape(v[:3]) for k, v in cls.thrift_spec.items()}, cls.__name__
        assert [d[0] for d in mine.default_spec] == [d[0] for d in cls.default_spec]
        assert repr(mine().__dict__) == repr(cls().__dict__).replace(
            "reference_idl_thrift", "aurora_api_thrift"), cls.__name__


def test_same_constants(reference: Any) -> None:
    for name in ("AURORA_EXECUTOR_NAME", "ACTIVE_STATES", "LIVE_STATES", "TERMINAL_STATES",
                 "SLAVE_ASSIGNED_STATES", "GOOD_IDENTIFIER_PATTERN", "GOOD_IDENTIFIER_PATTERN_JVM",
                 "GOOD_IDENTIFIER_PATTERN_PYTHON", "ACTIVE_JOB_UPDATE_STATES",
                 "AWAITNG_PULSE_JOB_UPDATE_STATES", "BYPASS_LEADER_REDIRECT_HEADER_NAME",
                 "TASK_FILESYSTEM_MOUNT_POINT"):
        assert getattr(api(), name) == getattr(reference, name), name


def test_same_service_methods(reference: Any) -> None:
    for svc in reference.__thrift_meta__["services"]:
        mine = getattr(api(), svc.__name__)
        assert mine.thrift_services == svc.thrift_services
        for method in svc.thrift_services:
            for suffix in ("_args", "_result"):
                ours = getattr(mine, method + suffix).thrift_spec
                ref = getattr(svc, method + suffix).thrift_spec
                assert {k: _shape(v[:3]) for k, v in ours.items()} == \
                    {k: _shape(v[:3]) for k, v in ref.items()}, method + suffix


def test_cached_idl_rebuilds_exactly_what_the_parser_makes(tmp_path, monkeypatch) -> None:
    from aurora.api import idl_cache
    from aurora.api.idl import IDL_FILE

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parsed = idl_cache.load_cached(IDL_FILE, "idl_parsed_thrift")       # parses, writes
    assert list(tmp_path.glob("aurora-client/idl-*.marshal"))
    rebuilt = idl_cache.load_cached(IDL_FILE, "idl_rebuilt_thrift")     # from the cache
    assert not hasattr(rebuilt, "__thrift_file__") or rebuilt is not parsed
    for kind in ("enums", "structs", "unions", "services"):
        assert _names(rebuilt.__thrift_meta__[kind]) == _names(parsed.__thrift_meta__[kind])
    for cls in parsed.__thrift_meta__["structs"] + parsed.__thrift_meta__["unions"]:
        twin = getattr(rebuilt, cls.__name__)
        assert _shape(twin.thrift_spec) == _shape(cls.thrift_spec), cls.__name__
        assert repr(twin.default_spec) == repr(cls.default_spec), cls.__name__
        assert repr(twin()) == repr(cls()), cls.__name__
    for service in parsed.__thrift_meta__["services"]:
        twin = getattr(rebuilt, service.__name__)
        assert twin.thrift_services == service.thrift_services
        for name in service.thrift_services:
            for suffix in ("_args", "_result"):
                a, b = getattr(twin, name + suffix), getattr(service, name + suffix)
                assert _shape(a.thrift_spec) == _shape(b.thrift_spec)
    assert rebuilt.ACTIVE_STATES == parsed.ACTIVE_STATES
    assert repr(rebuilt.__thrift_meta__["consts"]) == repr(parsed.__thrift_meta__["consts"])
    assert rebuilt.BYPASS_LEADER_REDIRECT_HEADER_NAME == "Bypass-Leader-Redirect"
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.utils import serialize

    def sample(m):
        return m.JobConfiguration(key=m.JobKey("r", "e", "n"), instanceCount=2,
                                  taskConfig=m.TaskConfig(resources=[m.Resource(numCpus=1.5)],
                                                          isService=True))
    factory = TBinaryProtocolFactory()
    assert serialize(sample(rebuilt), factory) == serialize(sample(parsed), factory)


def test_the_cached_idl_builds_only_what_is_used(tmp_path, monkeypatch) -> None:
    """A reply's Result union names 25 result structs; decoding one task fills a few."""
    from aurora.api import idl_cache
    from aurora.api.idl import IDL_FILE, serialize

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    idl_cache.load_cached(IDL_FILE, "idl_lazy_parse_thrift")
    m = idl_cache.load_cached(IDL_FILE, "idl_lazy_thrift")
    task = m.ScheduledTask(assignedTask=m.AssignedTask(taskId="t", instanceId=3), status=2)
    reply = m.Response(responseCode=0, result=m.Result(
        scheduleStatusResult=m.ScheduleStatusResult(tasks=[task])))
    from aurora.api.idl import deserialize

    back = deserialize(m.Response, serialize(reply))
    assert back.result.scheduleStatusResult.tasks[0].assignedTask.instanceId == 3
    made = [v for v in vars(m).values() if isinstance(v, type) and hasattr(v, "_ttype")]
    unfilled = {c.__name__ for c in made if "_unfilled" in vars(c)}
    assert "JobUpdateDetails" not in vars(m) and "GetJobUpdateDetailsResult" in unfilled
    assert "ScheduledTask" not in unfilled and "Result" not in unfilled
