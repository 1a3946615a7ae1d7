"""The API-hook protocol and the objects hooks receive, without a scheduler."""

from __future__ import annotations

import pytest

from aurora.api.client import SchedulerError
from aurora.api.idl import api
from aurora.config.aurora_config import AuroraConfig, AuroraJobKey
from aurora.errors import CommandFailure
from aurora.job_file_hooks import APIError, HookConfig, hooked
from tests.unit.test_config import JOBS, load

HOOKED = JOBS / "hooked.aurora"
KEY = "devcluster/www-data/test/hooked"


class Context:
    def __init__(self):
        self.errors = []

    def print_stderr(self, text):
        self.errors.append(text)


class Recorder:
    def __init__(self, name, answer=True):
        self.name, self.answer, self.seen = name, answer, []

    def generic_hook(self, hook_config, event, method, result_or_err, args, kw):
        config, job_key = hook_config
        self.seen.append((event, method, result_or_err, args, kw, config, job_key))
        return self.answer


def hooked_config(*hooks, **bindings):
    config = load(HOOKED, KEY, *(f"{k}={v}" for k, v in bindings.items()))
    config.hooks = list(hooks)
    return config


def ok_response():
    return api().Response(responseCode=api().ResponseCode.OK)


def test_every_pre_hook_runs_before_the_veto_and_the_call_is_not_made():
    no, yes = Recorder("no", answer=False), Recorder("yes")
    calls = []
    with pytest.raises(CommandFailure) as caught:
        hooked(Context(), hooked_config(no, yes), None, "create_job", (), {},
               lambda: calls.append(1))
    assert str(caught.value).startswith("Pre hooks stopped call to create_job: hook Recorder "
                                        "said no")
    assert caught.value.exit_code == 4
    assert [s[0] for s in yes.seen] == ["pre"] and calls == []


def test_hooks_see_upstreams_config_object_job_key_and_response():
    recorder = Recorder("r")
    config = hooked_config(recorder)
    response = ok_response()
    assert hooked(Context(), config, None, "create_job", (config,), {},
                  lambda: response) is response
    (pre, post) = recorder.seen
    view, job_key = pre[5], pre[6]
    assert isinstance(view, AuroraConfig) and pre[3] == (view,)     # the same object
    assert job_key == AuroraJobKey("devcluster", "www-data", "test", "hooked")
    assert str(job_key) == job_key.to_path() == KEY
    assert job_key.to_thrift() == api().JobKey(role="www-data", environment="test",
                                               name="hooked")
    assert view.job_key() == job_key and view.job() is config.thrift
    assert view.raw().enable_hooks().get() is True
    assert (view.name(), view.role(), view.environment(), view.cluster(), view.instances()) \
        == ("hooked", "www-data", "test", "devcluster", 1)
    assert view.ports() == {"http"} and not view.has_health_port() and not view.is_dedicated()
    assert post[:3] == ("post", "create_job", response)


def test_err_hooks_get_an_api_error_carrying_the_response():
    recorder = Recorder("r")
    response = api().Response(responseCode=api().ResponseCode.INVALID_REQUEST,
                              details=[api().ResponseDetail(message="no such job")])

    def refused():
        raise SchedulerError("startCronJob", response, "http://x")
    with pytest.raises(SchedulerError):
        hooked(Context(), hooked_config(recorder), AuroraJobKey("c", "r", "e", "n"),
               "start_cronjob", (), {}, refused)
    error = recorder.seen[-1][2]
    assert isinstance(error, APIError) and error.response is response
    assert str(error) == "APIError: INVALID_REQUEST: no such job"
    assert recorder.seen[-1][6] == AuroraJobKey("c", "r", "e", "n")


def test_failing_post_hook_is_a_warning_and_disabled_hooks_do_not_run():
    class Broken:
        def post_kill_job(self, result, job_key, **kw):
            raise ValueError("oops")
    context = Context()
    key = AuroraJobKey("c", "r", "e", "n")
    hooked(context, hooked_config(Broken()), key, "kill_job", (key,), {}, ok_response)
    assert context.errors == ["aurora: warning: post_kill_job hook Broken failed: "
                              "ValueError: oops"]
    off = Recorder("off")
    hooked(Context(), hooked_config(off, enable="false"), None, "kill_job", (), {},
           ok_response)
    assert off.seen == []


def test_hook_config_unpacks_and_derives_the_job_key():
    view = AuroraConfig(hooked_config())
    config, job_key = HookConfig(view, None)
    assert config is view and job_key == view.job_key()
    assert tuple(HookConfig(None, "k")) == (None, "k")


def test_a_pre_hook_that_changes_the_config_changes_what_is_sent():
    view = AuroraConfig(hooked_config())
    view.update_job(view.raw()(instances=3))
    view.add_metadata("owner", "hooks")
    thrift = view.job()
    assert thrift.instanceCount == 3
    assert api().Metadata(key="owner", value="hooks") in thrift.taskConfig.metadata
    assert view.task(2).processes()[0].name().get() == "p"
