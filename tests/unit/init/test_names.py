"""The project name of a new starter: derived from the folder, or given and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from featureops.init.errors import InitError
from featureops.init.names import check_project_name, project_name_for


@pytest.mark.parametrize(("folder", "expected"), [
    ("shop_features", "shop_features"),
    ("My Shop-Features", "my_shop_features"),
    ("ride--hailing  v2", "ride_hailing_v2"),
    ("2024 pipeline", "project_2024_pipeline"),
    ("Café", "caf"),
    ("---", "feature_repo"),
    ("featureops", "featureops_project"),
    ("dbt", "dbt_project"),
])
def test_name_from_folder(tmp_path: Path, folder: str, expected: str) -> None:
    assert project_name_for(tmp_path / folder) == expected
    assert check_project_name(expected) == expected


@pytest.mark.parametrize("name", ["Shop", "my-shop", "1shop", "", "featureops", "dbt_postgres"])
def test_bad_names_are_one_line_errors(name: str) -> None:
    with pytest.raises(InitError) as caught:
        check_project_name(name)
    assert f"'{name}'" in str(caught.value) and "\n" not in str(caught.value)
