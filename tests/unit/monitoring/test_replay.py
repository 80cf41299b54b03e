"""The replay's drift and its notion of "now"."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from featureops.monitoring.errors import MonitoringError
from featureops.monitoring.replay import DriftSpec, monitoring_now
from featureops.project import Project

START, END = datetime(2026, 10, 25), datetime(2026, 11, 1)


def test_drift_spec_parses_view_feature_and_factor() -> None:
    spec = DriftSpec.parse(" feat_user__spend_windows:amount_usd_avg_7d=2.5 ")
    assert (spec.view, spec.feature, spec.factor) == (
        "feat_user__spend_windows", "amount_usd_avg_7d", 2.5)
    assert spec.ref == "feat_user__spend_windows:amount_usd_avg_7d"


@pytest.mark.parametrize("text", ["amount_usd=2", "view:feature", "view:feature=x",
                                  "view:feature=-1", "1view:feature=2", "a:b;drop=2"])
def test_drift_spec_rejects_malformed_text(text: str) -> None:
    with pytest.raises(MonitoringError, match="VIEW:FEATURE=FACTOR"):
        DriftSpec.parse(text)


def test_the_drift_grows_linearly_over_the_window_and_stays_within_it() -> None:
    spec = DriftSpec("v", "f", 3.0)
    assert spec.multiplier(START, START, END) == 1.0
    assert spec.multiplier(END, START, END) == 3.0
    assert spec.multiplier(datetime(2026, 10, 28, 12), START, END) == pytest.approx(2.0)
    assert spec.multiplier(datetime(2026, 10, 1), START, END) == 1.0
    assert spec.multiplier(datetime(2026, 12, 1), START, END) == 3.0


def _project(tmp_path: Path, now: str | None) -> Project:
    line = f"  featureops_monitoring_now: {now}\n" if now is not None else ""
    (tmp_path / "dbt_project.yml").write_text(f"name: p\nvars:\n{line}")
    return Project.locate(tmp_path)


def test_now_is_the_pinned_var_or_the_current_time(tmp_path: Path) -> None:
    assert monitoring_now(_project(tmp_path, '"2026-11-01 00:00:00"')) == datetime(2026, 11, 1)
    before = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    assert monitoring_now(_project(tmp_path, "null")) >= before


def test_a_malformed_now_names_the_file_and_the_var(tmp_path: Path) -> None:
    with pytest.raises(MonitoringError, match=r"dbt_project.yml: var featureops_monitoring_now"):
        monitoring_now(_project(tmp_path, '"first of november"'))
