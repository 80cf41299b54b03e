"""Spine files whose columns an engine would quietly change: a duplicate column (DuckDB
reads it as ``user_id_1``), a NUL in a name (cut there), a CSV whose rows do not match its
header (read as ``column0, column1...``). Each is a one-line error naming the file and the
column, through get_historical_features on the DuckDB warehouse of the mini project."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from featureops.offline.errors import TrainingSetError
from featureops.offline.retrieval import get_historical_features


def training(mini, spine: Path) -> pa.Table:
    return get_historical_features(str(spine), ["user_stats"], project=mini.project,
                                   warehouse=mini.warehouse, output="arrow")


def one_line_error(mini, spine: Path) -> str:
    with pytest.raises(TrainingSetError) as caught:
        training(mini, spine)
    message = str(caught.value)
    assert "\n" not in message and str(spine) in message
    return message


def renamed(table: pa.Table, names: list[str]) -> pa.Table:
    return pa.Table.from_arrays(table.columns, names=names)


def test_duplicate_parquet_column(mini_project, tmp_path: Path) -> None:
    table = mini_project.spine_table()
    names = table.column_names
    spine = tmp_path / "spine.parquet"
    # merchant_id renamed to a second user_id: DuckDB would read it as user_id_1
    pq.write_table(renamed(table, [n if n != "merchant_id" else "user_id" for n in names]),
                   spine)
    position = names.index("merchant_id") + 1
    assert f"column 'user_id' appears twice (columns 1 and {position})" in one_line_error(
        mini_project, spine)


def test_nul_in_a_parquet_column_name(mini_project, tmp_path: Path) -> None:
    table = mini_project.spine_table()
    spine = tmp_path / "spine.parquet"
    pq.write_table(renamed(table, [n if n != "label" else "la\x00bel" for n in
                                   table.column_names]), spine)
    assert "('la\\x00bel') has a NUL character" in one_line_error(mini_project, spine)


def test_duplicate_csv_column(mini_project, tmp_path: Path) -> None:
    spine = tmp_path / "spine.csv"
    pacsv.write_csv(mini_project.spine_table(), spine)
    lines = spine.read_text().splitlines()
    lines[0] = lines[0].replace('"merchant_id"', '"user_id"')
    spine.write_text("\n".join(lines) + "\n")
    assert "column 'user_id' appears twice" in one_line_error(mini_project, spine)


def test_csv_rows_that_do_not_match_the_header(mini_project, tmp_path: Path) -> None:
    """The header in one quoted field: the rows have four fields, the header one, and the
    error says so instead of 'no timestamp column' while the header holds its name."""
    spine = tmp_path / "spine.csv"
    pacsv.write_csv(mini_project.spine_table(), spine)
    lines = spine.read_text().splitlines()
    lines[0] = '"' + lines[0].replace('"', "") + '"'
    spine.write_text("\n".join(lines) + "\n")
    message = one_line_error(mini_project, spine)
    assert "not a well-formed CSV: line 2 has 4 field(s), the header 1" in message
    assert "no timestamp column" not in message


def test_a_csv_row_with_extra_fields(mini_project, tmp_path: Path) -> None:
    spine = tmp_path / "spine.csv"
    pacsv.write_csv(mini_project.spine_table(), spine)
    lines = spine.read_text().splitlines()
    lines[5] += ",1,2"
    spine.write_text("\n".join(lines) + "\n")
    assert "line 6 has 6 field(s), the header 4" in one_line_error(mini_project, spine)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_well_formed_csv_spines_still_work(mini_project, tmp_path: Path,
                                           delimiter: str) -> None:
    spine = tmp_path / "spine.csv"
    pacsv.write_csv(mini_project.spine_table(), spine,
                    pacsv.WriteOptions(delimiter=delimiter, quoting_style="none"))
    assert training(mini_project, spine).num_rows == len(mini_project.spine)
