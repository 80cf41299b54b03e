"""Delivery: retries with doubling backoff on failures that may pass, none on those that
cannot, timeouts, one-line errors that never show the (secret) URL, the HMAC signature,
and the command hook (JSON on stdin, no shell)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from featureops.alerts.channels import SIGNATURE_HEADER, Delivery, DeliveryError
from featureops.alerts.config import CommandChannel, SlackChannel, WebhookChannel
from featureops.alerts.messages import AlertMessage, Firing
from tests.unit.alerts.conftest import Harness, Receiver, evaluation, sla_problem

MESSAGE = AlertMessage("shop", "sla", "feat_a", datetime(2026, 11, 5, tzinfo=timezone.utc),
                       (Firing(sla_problem("feat_a", "completeness"), "2026-11-05", True),))
SECRET_PATH = "/services/T000/B000/XXXXsecretXXXX"


def webhook(**extra: object) -> WebhookChannel:
    return WebhookChannel.model_validate({"type": "webhook", "url_env": "HOOK_URL", **extra})


@pytest.fixture(autouse=True)
def _no_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # runtime delivery is stdlib only


def test_retries_back_off_doubling_then_succeed(receiver: Receiver,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}/hook")
    receiver.statuses["/hook"] = [503, 429]
    sleeps: list[float] = []
    Delivery(retries=2, backoff=0.5, sleep=sleeps.append).send(webhook(), MESSAGE)
    assert len(receiver.received) == 3 and sleeps == [0.5, 1.0]


def test_retry_after_is_waited_for_up_to_a_bound(receiver: Receiver,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}/hook")
    receiver.statuses["/hook"] = [(429, {"Retry-After": "3"}), (503, {"Retry-After": "7200"})]
    sleeps: list[float] = []
    Delivery(retries=2, backoff=0.5, sleep=sleeps.append).send(webhook(), MESSAGE)
    assert sleeps == [3.0, 30.0] and len(receiver.received) == 3


def test_a_client_error_is_not_retried_and_the_url_is_never_shown(
        receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}{SECRET_PATH}")
    receiver.statuses[SECRET_PATH] = [404]
    sleeps: list[float] = []
    with pytest.raises(DeliveryError) as error:
        Delivery(retries=3, sleep=sleeps.append).send(webhook(), MESSAGE)
    assert str(error.value) == "HTTP 404 Not Found"
    assert len(receiver.received) == 1 and sleeps == []


def test_exhausted_retries_say_how_many_attempts(receiver: Receiver,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}{SECRET_PATH}")
    receiver.statuses[SECRET_PATH] = [500, 500, 500]
    with pytest.raises(DeliveryError) as error:
        Delivery(retries=2, sleep=lambda _: None).send(webhook(), MESSAGE)
    assert str(error.value) == "HTTP 500 Internal Server Error after 3 attempts"
    assert "secret" not in str(error.value)


def test_a_receiver_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("HOOK_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        with pytest.raises(DeliveryError, match=r"timed out after 2 attempts$"):
            Delivery(timeout=0.2, retries=1, sleep=lambda _: None).send(webhook(), MESSAGE)


def test_a_refused_connection_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HOOK_URL", f"http://127.0.0.1:{port}{SECRET_PATH}")
    with pytest.raises(DeliveryError) as error:
        Delivery(retries=0).send(webhook(), MESSAGE)
    assert "refused" in str(error.value) and "\n" not in str(error.value)
    assert str(port) not in str(error.value)


@pytest.mark.parametrize(("value", "expected"), [
    (None, "environment variable HOOK_URL is not set"),
    ("file:///etc/passwd", "$HOOK_URL is not an http(s) URL"),
])
def test_a_missing_or_non_http_url_is_refused(monkeypatch: pytest.MonkeyPatch,
                                              value: str | None, expected: str) -> None:
    if value is None:
        monkeypatch.delenv("HOOK_URL", raising=False)
    else:
        monkeypatch.setenv("HOOK_URL", value)
    with pytest.raises(DeliveryError) as error:
        Delivery().send(webhook(), MESSAGE)
    assert str(error.value) == expected


def test_headers_and_signature_come_from_the_environment(
        receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_URL", f"{receiver.url}/hook")
    monkeypatch.setenv("HOOK_AUTH", "Bearer t0ken")
    monkeypatch.setenv("HOOK_SECRET", "k3y")
    Delivery().send(webhook(headers_env={"Authorization": "HOOK_AUTH"},
                            secret_env="HOOK_SECRET"), MESSAGE)
    [received] = receiver.received
    assert received.headers["Authorization"] == "Bearer t0ken"
    expected = hmac.new(b"k3y", received.raw, hashlib.sha256).hexdigest()
    assert received.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert received.body == MESSAGE.to_dict()


def test_slack_gets_the_slack_body(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_URL", f"{receiver.url}/slack")
    Delivery().send(SlackChannel(type="slack", url_env="SLACK_URL"), MESSAGE)
    assert set(receiver.bodies("/slack")[0]) == {"text", "blocks"}


def _hook(tmp_path: Path, code: str) -> CommandChannel:
    script = tmp_path / "hook.py"
    script.write_text(code)
    return CommandChannel(type="command", command=[sys.executable, str(script)])


def test_the_command_hook_reads_the_json_body_on_stdin(tmp_path: Path) -> None:
    channel = _hook(tmp_path, "import json, os, sys\n"
                              "body = json.load(sys.stdin)\n"
                              "body['env_table'] = os.environ['FEATUREOPS_ALERT_TABLE']\n"
                              "open('got.json', 'w').write(json.dumps(body))\n")
    Delivery(project_dir=tmp_path).send(channel, MESSAGE)  # runs in the project folder
    got = json.loads((tmp_path / "got.json").read_text())
    assert got.pop("env_table") == "feat_a"
    assert got == MESSAGE.to_dict()


def test_a_failing_command_is_retried_then_reported(tmp_path: Path) -> None:
    channel = _hook(tmp_path, "import sys\nopen('runs', 'a').write('x')\n"
                              "sys.exit('pager service down')\n")
    with pytest.raises(DeliveryError) as error:
        Delivery(retries=1, sleep=lambda _: None, project_dir=tmp_path).send(channel, MESSAGE)
    assert (tmp_path / "runs").read_text() == "xx"
    assert str(error.value).endswith("exited with 1: pager service down after 2 attempts")


def test_a_missing_program_is_one_line(tmp_path: Path) -> None:
    channel = CommandChannel(type="command", command="./no-such-hook --flag")
    with pytest.raises(DeliveryError, match=r"^cannot run ./no-such-hook: No such file"):
        Delivery(project_dir=tmp_path).send(channel, MESSAGE)


def test_a_failed_channel_does_not_stop_the_others_and_is_retried_next_run(
        alerts: Harness) -> None:
    alerts.receiver.statuses["/slack"] = [500]
    dispatcher = alerts.dispatcher(retries=0, channels=[
        {"type": "slack", "url_env": "SLACK_URL"}, {"type": "webhook", "url_env": "HOOK_URL"}])
    found = evaluation(sla_problem("feat_a", "completeness"))
    outcome = dispatcher.dispatch(found)
    assert (outcome.sent, outcome.failed) == (1, 1)
    assert outcome.warnings == ["alerts: slack (slack): feat_a not delivered: HTTP 500 "
                                "Internal Server Error"]
    alerts.clock.advance(minutes=10)
    outcome = dispatcher.dispatch(found)  # slack again (never heard it), the webhook suppressed
    assert (outcome.sent, outcome.suppressed, outcome.failed) == (1, 1, 0)
    assert len(alerts.receiver.bodies("/hook")) == 1
    assert len(alerts.receiver.bodies("/slack")) == 2
