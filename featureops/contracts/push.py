"""The contract-enforced push path shared by ``featureops push`` and ``POST /push/{view}``:
authorize the producer, validate each record, dead-letter every rejected one, and write the
accepted ones through the online store's ``push_records`` (atomic per call).

Producers: a view names who may push to it (``meta.featureops.producer``); that producer's
token(s) are read from ``FEATUREOPS_PRODUCER_TOKEN_<PRODUCER>`` (the name upper-cased,
every character other than a letter or digit replaced by ``_``; several tokens separated by
commas, so a token can be rotated without downtime). A view without a producer, or whose
producer has no token configured, accepts no push. See
docs/decisions/0033-push-producers-and-dead-letters.md.

Order of operations, so that nothing is lost: rejected records are appended to the dead
letter file and fsync'ed *before* the accepted ones are written; if the write then fails,
the error says so and the input (file or request) still holds the accepted records.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from featureops.catalog import FeatureView
from featureops.contracts.push_settings import PushSettings, load_push_settings
from featureops.contracts.rules import model_rules
from featureops.contracts.validation import FATAL, STRICT, Outcome, Problem, RecordValidator
from featureops.exceptions import FeatureopsError
from featureops.online.base import LayoutMismatchError
from featureops.online.layout import UnsupportedTypeError
from featureops.online.pipeline import RecordsError
from featureops.project import Project
from featureops.serving.auth import token_matches

TOKEN_ENV_PREFIX = "FEATUREOPS_PRODUCER_TOKEN_"
DEAD_LETTER_ENV = "FEATUREOPS_DEAD_LETTER_DIR"
DEFAULT_DEAD_LETTER_DIR = Path("data") / "dead_letter"
#: Rejections kept in a report as examples (the dead-letter file has them all).
EXAMPLES = 20

Writer = Callable[[Project, FeatureView, pa.Table], int]
#: How a store refuses the records themselves (a value the live layout cannot hold), as
#: opposed to failing (StoreUnavailableError...): the refused records are dead-lettered.
REFUSALS = (RecordsError, LayoutMismatchError, UnsupportedTypeError,
            pa.ArrowNotImplementedError, ValueError, TypeError, OverflowError)
logger = logging.getLogger(__name__)


class PushConfigError(FeatureopsError):
    """The view cannot accept pushes: not online, no producer, or no producer token."""


class UnauthorizedProducerError(FeatureopsError):
    """The presented token is not the token of the view's producer."""


class DeadLetterError(FeatureopsError):
    """The dead-letter file cannot be written (a full disk...): nothing is acknowledged."""


def producer_token_env(producer: str) -> str:
    return TOKEN_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", producer).upper()


def producer_tokens(producer: str) -> tuple[str, ...]:
    raw = os.environ.get(producer_token_env(producer), "")
    return tuple(token.strip() for token in raw.split(",") if token.strip())


def check_pushable(view: FeatureView) -> str:
    """The view's producer; PushConfigError when the view accepts no push."""
    if not view.spec.online:
        raise PushConfigError(
            f"feature view '{view.name}' is not served online (meta.featureops.online is "
            "false), so there is no online value to push; push to an online view")
    producer = view.spec.producer
    if not producer:
        raise PushConfigError(
            f"feature view '{view.name}' declares no meta.featureops.producer, so nobody may "
            f"push to it; add `producer: <name>` to its meta.featureops block")
    if not producer_tokens(producer):
        raise PushConfigError(
            f"no token is configured for producer '{producer}' of '{view.name}': set "
            f"{producer_token_env(producer)}")
    return producer


def authorize(view: FeatureView, token: str | None) -> str:
    """The producer, when ``token`` is one of its tokens; UnauthorizedProducerError else."""
    producer = check_pushable(view)
    if not token:
        raise UnauthorizedProducerError(
            f"pushing to '{view.name}' needs the token of producer '{producer}' "
            "(FEATUREOPS_PUSH_TOKEN or --token-file; `Authorization: Bearer <token>` over "
            "HTTP)")
    if not token_matches(token, producer_tokens(producer)):
        raise UnauthorizedProducerError(
            f"the token presented is not a token of producer '{producer}', the only producer "
            f"allowed to push to '{view.name}'")
    return producer


def dead_letter_path(project: Project, view: str, override: str | os.PathLike[str] | None = None
                     ) -> Path:
    if override:
        return Path(override)
    directory = os.environ.get(DEAD_LETTER_ENV)
    base = Path(directory) if directory else project.project_dir / DEFAULT_DEAD_LETTER_DIR
    return base / f"{view}.jsonl"


class DeadLetter:
    """An append-only JSONL file of rejected records; one lock per file per process."""

    _locks: dict[Path, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._guard:
            self._lock = self._locks.setdefault(path.resolve(), threading.Lock())

    def append(self, entries: list[dict[str, Any]]) -> None:
        """Append whole lines and fsync, so a crash loses no acknowledged rejection."""
        if not entries:
            return
        payload = b"".join(_dead_line(entry) for entry in entries)
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # 0o666: the umask decides, as for every file featureops writes
                descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
                try:
                    os.write(descriptor, payload)
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
            except OSError as error:
                raise DeadLetterError(
                    f"cannot write the dead-letter file {self.path}: {error.strerror or error}; "
                    "nothing was written to the online store") from None


def _dead_line(entry: dict[str, Any]) -> bytes:
    """One dead-letter line; a parsed record JSON cannot hold again (nested deeper than
    orjson writes) is left out: ``raw`` keeps it."""
    try:
        return orjson.dumps(entry, option=orjson.OPT_UTC_Z) + b"\n"
    except orjson.JSONEncodeError:
        return orjson.dumps({**entry, "record": None}, option=orjson.OPT_UTC_Z) + b"\n"


@dataclass(frozen=True)
class Incoming:
    """One record as received: where from, its exact text, and its parsed value (or why it
    did not parse)."""

    source: str
    raw: str
    record: Any = None
    parse_error: str | None = None


def ndjson_lines(body: bytes | Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """The lines of JSON lines input (a request body, or a binary file or stdin), numbered
    from 1 and split on ``\\n`` only: ``str.splitlines()`` also splits on U+2028, U+2029
    and U+0085, which a JSON string may hold, turning one record into two invalid ones."""
    return enumerate(io.BytesIO(body) if isinstance(body, bytes) else body, start=1)


def parse_lines(lines: Iterable[tuple[str, bytes]]) -> Iterator[Incoming]:
    """``(source, line)`` lines of JSONL into Incoming records; blank lines skipped."""
    for source, line in lines:
        stripped = line.rstrip(b"\r\n")
        if stripped.strip():
            yield parse_record(source, stripped)


def parse_record(source: str, data: bytes) -> Incoming:
    """One record from its bytes. Bytes that are not UTF-8, or JSON nested deeper than
    orjson reads (1,024 levels), make a parse error of that record alone; ``raw`` then
    shows a byte that is not UTF-8 as ``\\xNN``."""
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Incoming(source, data.decode("utf-8", "backslashreplace"),
                        parse_error=f"not UTF-8: byte 0x{data[error.start]:02x} at offset "
                                    f"{error.start}")
    try:
        return Incoming(source, raw, orjson.loads(data))
    except orjson.JSONDecodeError as error:
        return Incoming(source, raw, parse_error=str(error))


@dataclass
class PushReport:
    """Counts, and examples of what was rejected or warned about."""

    view: str
    mode: str
    dead_letter: str
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    written: int = 0
    warned: int = 0
    rejected_by_rule: Counter[str] = field(default_factory=Counter)
    warned_by_rule: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: PushReport) -> None:
        for name in ("received", "accepted", "rejected", "written", "warned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected_by_rule.update(other.rejected_by_rule)
        self.warned_by_rule.update(other.warned_by_rule)
        self.examples.extend(other.examples[: EXAMPLES - len(self.examples)])

    def to_dict(self) -> dict[str, Any]:
        return {"view": self.view, "mode": self.mode, "received": self.received,
                "accepted": self.accepted, "rejected": self.rejected, "written": self.written,
                "warned": self.warned, "rejected_by_rule": dict(self.rejected_by_rule),
                "warned_by_rule": dict(self.warned_by_rule),
                "dead_letter": self.dead_letter if self.rejected else None,
                "examples": self.examples}


class ContractPush:
    """The push path of one view: validator compiled once, reused for every batch."""

    def __init__(self, project: Project, view: FeatureView, *, mode: str = STRICT,
                 dead_letter: Path | None = None, writer: Writer | None = None,
                 settings: PushSettings | None = None) -> None:
        self.project = project
        self.view = view
        self.mode = mode
        self.future_skew = (settings or load_push_settings(project)).future_skew
        self.validator = RecordValidator(model_rules(project.manifest, view.model), mode)
        self.dead_letter = DeadLetter(dead_letter or dead_letter_path(project, view.name))
        self.writer = writer or _online_writer

    def push(self, items: Iterable[Incoming], *, producer: str | None,
             unauthorized: str | None = None) -> PushReport:
        """Validate, dead-letter and write one batch: every record received ends accepted
        or dead-lettered with its reasons. ``unauthorized`` (a reason) rejects every record
        of the batch as coming from a producer that may not push."""
        report = PushReport(self.view.name, self.mode, str(self.dead_letter.path))
        accepted: list[tuple[Incoming, dict[str, Any]]] = []
        dead: list[dict[str, Any]] = []
        now = datetime.now(timezone.utc)
        latest_event = now + self.future_skew
        for item in items:
            report.received += 1
            outcome = self._judge(item, unauthorized, latest_event)
            if outcome.warnings:
                report.warned += 1
                report.warned_by_rule.update(p.rule for p in outcome.warnings)
            if outcome.row is not None:
                accepted.append((item, outcome.row))
            else:
                dead.append(self._reject(report, item, outcome.errors, producer, now))
        self.dead_letter.append(dead)
        report.written, refused = self._write(accepted)
        report.accepted = len(accepted) - len(refused)
        self.dead_letter.append([self._reject(report, item, (problem,), producer, now)
                                 for item, problem in refused])
        return report

    def _judge(self, item: Incoming, unauthorized: str | None,
               latest_event: datetime) -> Outcome:
        if unauthorized is not None:
            return Outcome(None, (Problem(None, "unauthorized_producer", unauthorized, FATAL),))
        if item.parse_error is not None:
            return Outcome(None, (Problem(None, "invalid_json",
                                          f"not valid JSON: {item.parse_error}", FATAL),))
        try:
            return self.validator.validate(item.record, latest_event)
        except Exception as error:  # a validator bug costs this record, never the batch
            logger.exception("validating %s for '%s' failed", item.source, self.view.name)
            return Outcome(None, (Problem(None, "unprocessable", "could not be validated: "
                                          f"{type(error).__name__}: {error}", FATAL),))

    def _write(self, rows: list[tuple[Incoming, dict[str, Any]]]
               ) -> tuple[int, list[tuple[Incoming, Problem]]]:
        """Write the accepted rows; return how many were newer than the stored values, and
        the records the store refused. When the store refuses a batch for what it holds
        (a value the live layout cannot take), the batch is halved until each refused
        record is alone, so one record costs only itself. Store failures (unreachable,
        busy, a version published meanwhile) are raised: nothing of that part is written."""
        written = 0
        refused: list[tuple[Incoming, Problem]] = []
        parts = [rows] if rows else []
        while parts:
            part = parts.pop()
            try:
                written += self.writer(self.project, self.view,
                                       self.validator.to_arrow(row for _, row in part))
            except REFUSALS as error:
                if len(part) == 1:
                    refused.append((part[0][0], Problem(
                        None, "store_refused", f"the online store cannot hold it: {error}")))
                else:
                    middle = len(part) // 2
                    parts += [part[middle:], part[:middle]]
        return written, refused

    def _reject(self, report: PushReport, item: Incoming, errors: tuple[Problem, ...],
                producer: str | None, now: datetime) -> dict[str, Any]:
        """Count a rejected record and return its dead-letter entry."""
        report.rejected += 1
        report.rejected_by_rule.update(p.rule for p in errors)
        entry = self._dead_entry(item, errors, producer, now)
        if len(report.examples) < EXAMPLES:
            report.examples.append({"source": item.source, "reasons": entry["reasons"]})
        return entry

    def _dead_entry(self, item: Incoming, errors: tuple[Problem, ...], producer: str | None,
                    now: datetime) -> dict[str, Any]:
        return {
            "rejected_at": now,
            "view": self.view.name,
            "producer": producer,
            "mode": self.mode,
            "source": item.source,
            "reasons": [p.to_dict() for p in errors],
            "record": item.record if item.parse_error is None else None,
            "raw": item.raw,
        }


def _online_writer(project: Project, view: FeatureView, table: pa.Table) -> int:
    from featureops.online.push import push_records

    return push_records(project, view, table)


def store_writer(store: Any) -> Writer:
    """A writer into an already open online store (one connection for many batches)."""
    from featureops.online.push import push_records

    def write(project: Project, view: FeatureView, table: pa.Table) -> int:
        return push_records(project, view, table, store=store)

    return write
