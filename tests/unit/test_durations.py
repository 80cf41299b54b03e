from datetime import timedelta

import pytest

from featureops.durations import format_duration, parse_duration


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)), ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)),
    ("7d", timedelta(days=7)), ("2w", timedelta(weeks=2)), (" 30d ", timedelta(days=30)),
])
def test_parse(text, expected) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "7 days", "1.5h", "7D", "1y", "07d"])
def test_parse_rejects(text) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("value", "text"), [
    (timedelta(hours=48), "2d"), (timedelta(days=14), "2w"), (timedelta(seconds=90), "90s"),
    (timedelta(minutes=90), "90m"), (timedelta(hours=25), "25h"),
])
def test_format_is_exact_and_round_trips(value, text) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_format_rejects_non_positive_and_fractions() -> None:
    for bad in (timedelta(0), timedelta(seconds=-5), timedelta(milliseconds=1500)):
        with pytest.raises(ValueError):
            format_duration(bad)
