"""The alerts settings block: read from featureops.yml or vars.featureops, URLs only by
environment variable name, one-line errors naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from featureops.alerts.config import AlertConfigError, load_alert_settings
from featureops.project import Project


def _project(tmp_path: Path, alerts: object, where: str = "featureops.yml") -> Project:
    if where == "featureops.yml":
        (tmp_path / "featureops.yml").write_text(yaml.safe_dump({"alerts": alerts}))
    else:
        (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump(
            {"name": "shop", "vars": {"featureops": {"alerts": alerts}}}))
    return Project.locate(tmp_path)


def test_defaults_and_named_channels(tmp_path: Path) -> None:
    settings = load_alert_settings(_project(tmp_path, {"channels": [
        {"type": "slack", "url_env": "SLACK_A"}, {"type": "slack", "url_env": "SLACK_B"},
        {"type": "command", "command": "scripts/page.sh --team 'risk ml'", "name": "pager"},
    ]}, where="dbt_project.yml"))
    assert [name for name, _ in settings.named_channels()] == ["slack", "slack-2", "pager"]
    assert settings.channels[2].command == ["scripts/page.sh", "--team", "risk ml"]
    assert (settings.suppress_for, settings.min_level, settings.state) == (
        "4h", "warning", "data/alerts/state.json")
    assert settings.server.interval_seconds == 60 and not settings.fail_on_delivery_error


@pytest.mark.parametrize(("alerts", "message"), [
    ({"channels": [{"type": "webhook", "url": "https://hooks.example/T0/secret"}]},
     "alerts.channels.0.webhook: url: a webhook URL is a secret: put it in an environment "
     "variable and give that variable's name as url_env"),
    ({"channels": [{"type": "slack", "url_env": "https://hooks.slack.com/services/T0"}]},
     "alerts.channels.0.slack.url_env: name the environment variable that holds the URL, "
     "not the URL itself (it must never be committed)"),
    ({"channels": [{"type": "webhook", "url_env": "HOOK",
                    "headers_env": {"Authorization": "Bearer abc"}}]},
     "alerts.channels.0.webhook.headers_env: 'Bearer abc' is not an environment variable "
     "name"),
    ({"channels": [{"type": "pager"}]}, "alerts.channels.0: Input tag 'pager'"),
    ({"suppress_for": "4 hours"}, "alerts.suppress_for: '4 hours' is not a duration"),
    ({"channels": [{"type": "slack", "url_env": "A", "name": "ops"},
                   {"type": "webhook", "url_env": "B", "name": "ops"}]},
     "alerts: channels: the name 'ops' is used twice"),
    ({"server": {"interval": "soon"}}, "alerts.server.interval: 'soon' is not a duration"),
    ({"retries": 50}, "alerts.retries: Input should be less than or equal to 10"),
])
def test_bad_settings_are_one_line_errors(tmp_path: Path, alerts: object, message: str) -> None:
    with pytest.raises(AlertConfigError) as error:
        load_alert_settings(_project(tmp_path, alerts))
    text = str(error.value)
    assert "\n" not in text and text.startswith(f"{tmp_path / 'featureops.yml'}: ")
    assert message in text
