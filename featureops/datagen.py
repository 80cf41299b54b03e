"""Deterministic synthetic card-payments data with fraud labels (the demo's raw layer).

Writes four Parquet tables (users, merchants, transactions, chargebacks) plus a
``_manifest.json``. The same parameters always give byte-identical files: every random
draw comes from a ``SeedSequence`` tree whose shape depends only on the parameters, and
the Parquet writer options are pinned. Transactions are generated one time slice at a
time (about ``chunk_rows`` rows each) so 10M rows fit in bounded memory while the file
stays globally sorted by ``event_at``.

The shape is meant to make point-in-time features matter: heavy-tailed per-user activity,
diurnal/weekly seasonality, shopping sessions (several transactions within an hour),
trips abroad, deliberate same-second ties, and fraud concentrated in compromised-card
bursts, risky categories and mis-coded merchants. Labels (chargebacks) arrive 2-60 days
after the transaction, often after the period ends. See docs/data.md.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from featureops.files import replacing, write_text_atomic

__all__ = [
    "CATEGORIES",
    "COUNTRIES",
    "CURRENCY_RATES",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_END",
    "GENERATOR_VERSION",
    "SCHEMAS",
    "TABLES",
    "Category",
    "Country",
    "GenerationSummary",
    "generate",
    "read_manifest",
]

# Bump whenever the generated data changes for the same parameters, so that
# ``generate(force=False)`` does not keep stale files from an older generator.
GENERATOR_VERSION = 1
DEFAULT_END = datetime(2026, 11, 1)
DEFAULT_CHUNK_ROWS = 1_000_000
EMBEDDING_DIM = 16
MANIFEST_NAME = "_manifest.json"
TABLES = ("users", "merchants", "transactions", "chargebacks")


# --------------------------------------------------------------------------------------
# Reference data. seeds/*.csv hold the same values for dbt; tests keep the two in sync.
# --------------------------------------------------------------------------------------
class Category(NamedTuple):
    code: str  # ISO 18245 merchant category code
    name: str
    risk_tier: str  # low | medium | high
    weight: float  # relative share of transactions
    median_usd: float  # lognormal amount median
    sigma: float  # lognormal amount spread
    channels: tuple[float, float, float, float]  # chip, contactless, online, atm
    nouns: tuple[str, ...]  # for merchant names
    blurb: str  # for merchant descriptions


CATEGORIES: tuple[Category, ...] = (
    Category("4111", "Local and Suburban Commuter Transport", "low", 6.0, 4.5, 0.5,
             (0.05, 0.90, 0.05, 0.0), ("Transit", "Metro", "Rail"),
             "urban transit operator selling fares and passes"),
    Category("4121", "Taxicabs and Limousines", "medium", 4.0, 22.0, 0.6,
             (0.15, 0.35, 0.50, 0.0), ("Cabs", "Rides", "Taxi"),
             "taxi and ride-hailing service"),
    Category("4511", "Airlines and Air Carriers", "medium", 1.2, 320.0, 0.8,
             (0.02, 0.0, 0.98, 0.0), ("Air", "Airways", "Airlines"),
             "airline selling flights and baggage fees"),
    Category("4814", "Telecommunication Services", "medium", 2.0, 45.0, 0.5,
             (0.05, 0.05, 0.90, 0.0), ("Mobile", "Telecom", "Connect"),
             "telecom provider selling mobile plans and top-ups"),
    Category("4829", "Wire Transfers and Money Orders", "high", 0.7, 300.0, 1.1,
             (0.10, 0.0, 0.90, 0.0), ("Remit", "Transfer", "Money"),
             "money transfer service for international remittances"),
    Category("4900", "Utilities", "low", 1.5, 95.0, 0.5,
             (0.0, 0.0, 1.0, 0.0), ("Energy", "Power", "Water"),
             "utility company billing electricity, gas and water"),
    Category("5311", "Department Stores", "low", 4.0, 70.0, 0.9,
             (0.40, 0.35, 0.25, 0.0), ("Department Store", "Galleria", "Emporium"),
             "department store with clothing, homeware and cosmetics"),
    Category("5411", "Grocery Stores and Supermarkets", "low", 14.0, 38.0, 0.8,
             (0.45, 0.50, 0.05, 0.0), ("Market", "Grocers", "Foods"),
             "grocery store selling fresh produce and household goods"),
    Category("5541", "Service Stations", "low", 7.0, 45.0, 0.5,
             (0.55, 0.45, 0.0, 0.0), ("Fuel", "Petrol", "Gas"),
             "fuel station with a small convenience shop"),
    Category("5691", "Men's and Women's Clothing Stores", "low", 5.0, 65.0, 0.8,
             (0.35, 0.30, 0.35, 0.0), ("Apparel", "Outfitters", "Boutique"),
             "clothing retailer for men and women"),
    Category("5732", "Electronics Stores", "high", 3.0, 180.0, 1.0,
             (0.35, 0.15, 0.50, 0.0), ("Electronics", "Digital", "Tech"),
             "consumer electronics shop selling phones, laptops and accessories"),
    Category("5812", "Eating Places and Restaurants", "low", 11.0, 42.0, 0.7,
             (0.45, 0.45, 0.10, 0.0), ("Bistro", "Kitchen", "Grill"),
             "sit-down restaurant serving lunch and dinner"),
    Category("5814", "Fast Food Restaurants", "low", 12.0, 12.0, 0.6,
             (0.30, 0.62, 0.08, 0.0), ("Burger", "Express", "Bites"),
             "quick-service restaurant for takeaway meals and coffee"),
    Category("5815", "Digital Goods: Media, Books, Movies, Music", "medium", 3.0, 11.0, 0.7,
             (0.0, 0.0, 1.0, 0.0), ("Stream", "Media", "Tunes"),
             "digital media store for music, films and e-books"),
    Category("5816", "Digital Goods: Games", "high", 2.0, 18.0, 1.0,
             (0.0, 0.0, 1.0, 0.0), ("Games", "Arcade", "Quest"),
             "online game store selling credits and in-game items"),
    Category("5912", "Drug Stores and Pharmacies", "low", 5.0, 25.0, 0.8,
             (0.45, 0.48, 0.07, 0.0), ("Pharmacy", "Chemist", "Drugstore"),
             "pharmacy selling prescriptions and toiletries"),
    Category("5942", "Book Stores", "low", 2.0, 24.0, 0.6,
             (0.30, 0.25, 0.45, 0.0), ("Books", "Reads", "Pages"),
             "bookshop selling new books and magazines"),
    Category("5944", "Jewelry, Watch, Clock and Silverware Stores", "high", 0.8, 420.0, 1.1,
             (0.65, 0.15, 0.20, 0.0), ("Jewellers", "Gold", "Watches"),
             "jewellery store selling watches, rings and gold"),
    Category("5967", "Direct Marketing: Inbound Teleservices", "high", 0.8, 55.0, 0.9,
             (0.0, 0.0, 1.0, 0.0), ("Direct", "Deals", "Offers"),
             "subscription and teleshopping merchant"),
    Category("5999", "Miscellaneous and Specialty Retail", "medium", 4.0, 40.0, 1.0,
             (0.30, 0.30, 0.40, 0.0), ("Goods", "Supply", "Store"),
             "specialty shop selling gifts and sundries"),
    Category("6011", "Automated Cash Disbursements (ATM)", "medium", 3.0, 110.0, 0.6,
             (0.0, 0.0, 0.0, 1.0), ("ATM", "Cashpoint", "Cash"),
             "cash machine operator"),
    Category("6051", "Non-Financial Institutions: Quasi-Cash and Crypto", "high", 0.8, 250.0,
             1.2, (0.0, 0.0, 1.0, 0.0), ("Crypto", "Coin", "Exchange"),
             "crypto exchange and prepaid card reloads"),
    Category("7011", "Hotels, Motels and Resorts", "medium", 1.8, 210.0, 0.8,
             (0.55, 0.10, 0.35, 0.0), ("Hotel", "Inn", "Suites"),
             "hotel offering rooms and short stays"),
    Category("7230", "Beauty and Barber Shops", "low", 2.0, 35.0, 0.6,
             (0.45, 0.45, 0.10, 0.0), ("Salon", "Barbers", "Beauty"),
             "hair and beauty salon"),
    Category("7832", "Motion Picture Theaters", "low", 1.5, 28.0, 0.5,
             (0.30, 0.45, 0.25, 0.0), ("Cinema", "Pictures", "Screens"),
             "cinema selling tickets and snacks"),
    Category("7995", "Betting and Casino Gambling", "high", 1.0, 60.0, 1.2,
             (0.05, 0.0, 0.95, 0.0), ("Casino", "Bets", "Lucky Spin"),
             "online casino and sports betting"),
    Category("8062", "Hospitals", "low", 1.0, 160.0, 1.1,
             (0.55, 0.20, 0.25, 0.0), ("Hospital", "Clinic", "Health"),
             "hospital billing treatments and consultations"),
)


class Country(NamedTuple):
    code: str  # ISO 3166-1 alpha-2
    name: str
    region: str
    currency: str  # ISO 4217, must be in CURRENCY_RATES
    is_high_risk: bool
    home_weight: float  # share of cardholders living there
    travel_weight: float  # popularity as a travel / cross-border destination


COUNTRIES: tuple[Country, ...] = (
    Country("AT", "Austria", "Europe", "EUR", False, 1.5, 2.0),
    Country("AU", "Australia", "Asia Pacific", "AUD", False, 3.0, 3.0),
    Country("BE", "Belgium", "Europe", "EUR", False, 1.5, 2.0),
    Country("BR", "Brazil", "Latin America", "BRL", False, 3.0, 2.0),
    Country("CA", "Canada", "North America", "CAD", False, 5.0, 4.0),
    Country("CH", "Switzerland", "Europe", "CHF", False, 2.0, 3.0),
    Country("DE", "Germany", "Europe", "EUR", False, 8.0, 6.0),
    Country("EC", "Ecuador", "Latin America", "USD", True, 0.3, 1.0),
    Country("ES", "Spain", "Europe", "EUR", False, 5.0, 9.0),
    Country("FR", "France", "Europe", "EUR", False, 7.0, 10.0),
    Country("GB", "United Kingdom", "Europe", "GBP", False, 10.0, 8.0),
    Country("GR", "Greece", "Europe", "EUR", False, 1.0, 5.0),
    Country("HR", "Croatia", "Europe", "EUR", False, 0.5, 3.0),
    Country("IE", "Ireland", "Europe", "EUR", False, 1.5, 2.0),
    Country("IN", "India", "Asia Pacific", "INR", False, 2.0, 2.0),
    Country("IT", "Italy", "Europe", "EUR", False, 5.0, 8.0),
    Country("JP", "Japan", "Asia Pacific", "JPY", False, 3.0, 5.0),
    Country("LU", "Luxembourg", "Europe", "EUR", False, 0.5, 1.0),
    Country("MX", "Mexico", "Latin America", "MXN", False, 3.0, 6.0),
    Country("NG", "Nigeria", "Africa", "NGN", True, 0.3, 0.5),
    Country("NL", "Netherlands", "Europe", "EUR", False, 3.0, 4.0),
    Country("PA", "Panama", "Latin America", "USD", True, 0.3, 1.0),
    Country("PT", "Portugal", "Europe", "EUR", False, 1.5, 4.0),
    Country("TH", "Thailand", "Asia Pacific", "THB", False, 0.5, 4.0),
    Country("US", "United States", "North America", "USD", False, 34.0, 10.0),
)

# USD value of one unit of each currency (a fixed snapshot: the demo ignores FX drift).
CURRENCY_RATES: dict[str, float] = {
    "AUD": 0.65,
    "BRL": 0.18,
    "CAD": 0.73,
    "CHF": 1.12,
    "EUR": 1.08,
    "GBP": 1.27,
    "INR": 0.012,
    "JPY": 0.0066,
    "MXN": 0.055,
    "NGN": 0.00065,
    "THB": 0.028,
    "USD": 1.0,
}

CHANNELS = ("chip", "contactless", "online", "atm")
CH_CHIP, CH_CONTACTLESS, CH_ONLINE, CH_ATM = range(4)
DEVICE_TYPES = ("mobile", "desktop", "pos_terminal")
DT_MOBILE, DT_DESKTOP, DT_POS = range(3)
CARD_TIERS = ("standard", "gold", "platinum")
RISK_TIERS = ("low", "medium", "high")
# Visa fraud dispute conditions; every chargeback in this demo is a fraud label.
REASON_CODES = ("10.1", "10.2", "10.3", "10.4", "10.5")

# --------------------------------------------------------------------------------------
# Output schemas (tests and docs/data.md rely on these exact types).
# --------------------------------------------------------------------------------------
_TS = pa.timestamp("us")
SCHEMAS: dict[str, pa.Schema] = {
    "users": pa.schema([
        ("user_id", pa.int64()),
        ("signup_at", _TS),
        ("birth_year", pa.int32()),
        ("home_country", pa.string()),
        ("card_tier", pa.string()),
        ("credit_limit_usd", pa.float64()),
        ("updated_at", _TS),
    ]),
    "merchants": pa.schema([
        ("merchant_id", pa.int64()),
        ("merchant_name", pa.string()),
        ("category_code", pa.string()),
        ("country", pa.string()),
        ("description", pa.string()),
        ("description_embedding", pa.list_(pa.float32())),
        ("onboarded_at", _TS),
    ]),
    "transactions": pa.schema([
        ("transaction_id", pa.int64()),
        ("user_id", pa.int64()),
        ("merchant_id", pa.int64()),
        ("amount", pa.float64()),
        ("currency", pa.string()),
        ("merchant_category_code", pa.string()),
        ("channel", pa.string()),
        ("device_type", pa.string()),
        ("device_id", pa.string()),
        ("country", pa.string()),
        ("event_at", _TS),
    ]),
    "chargebacks": pa.schema([
        ("chargeback_id", pa.int64()),
        ("transaction_id", pa.int64()),
        ("reason_code", pa.string()),
        ("amount", pa.float64()),
        ("reported_at", _TS),
    ]),
}

# Pinned explicitly so output bytes do not drift with pyarrow's defaults.
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "store_schema": True,
}

# --------------------------------------------------------------------------------------
# Behavioural knobs. Fractions are of n_transactions.
# --------------------------------------------------------------------------------------
DAY = 86_400
BURST_FRACTION = 0.0085  # rows that belong to compromised-card bursts
DUPLICATE_FRACTION = 0.001  # extra rows sharing (user_id, event_at) with another row
SESSION_P = 0.20  # chance an anchor transaction starts a multi-transaction session
SESSION_GEOM_P = 0.55  # follow-ups per session ~ geometric
SESSION_GAP_S = 600.0  # mean gap between session transactions
MEAN_SESSION = 1.0 + SESSION_P / SESSION_GEOM_P
BURST_MEAN_EXTRA = 3.0
MEAN_BURST = 2.0 + BURST_MEAN_EXTRA
CROSS_BORDER_P = 0.04  # non-travel transactions at a foreign (online) merchant
MISCODED_P = 0.02
IN_PERIOD_SIGNUP_P = 0.12
IN_PERIOD_ONBOARD_P = 0.08

# Hour-of-day (UTC) and day-of-week (Mon=0) intensity of legitimate activity.
_DIURNAL = np.array([0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.60, 0.90, 1.00, 1.05, 1.20,
                     1.40, 1.30, 1.10, 1.05, 1.10, 1.30, 1.45, 1.40, 1.20, 0.95, 0.70, 0.45])
_WEEKLY = np.array([0.92, 0.95, 0.97, 1.00, 1.15, 1.20, 0.90])
# Compromised cards are used mostly while the cardholder sleeps.
_FRAUD_DIURNAL = np.array([1.6, 1.8, 2.0, 2.0, 1.8, 1.4, 0.8, 0.5, 0.4, 0.4, 0.4, 0.4,
                           0.4, 0.4, 0.4, 0.4, 0.5, 0.5, 0.5, 0.6, 0.7, 0.9, 1.1, 1.3])
# Organic (non-burst) fraud probability by risk tier and its multipliers.
_TIER_BASE = np.array([0.0006, 0.0022, 0.007])
_CHANNEL_FRAUD_MULT = np.array([0.5, 0.6, 2.2, 1.0])
_FOREIGN_MULT, _NIGHT_MULT, _MISCODED_MULT, _HIGH_RISK_COUNTRY_MULT = 3.0, 2.0, 15.0, 2.5
# Channel preference of fraudsters (card-not-present is easiest with stolen details).
_FRAUD_CHANNEL_TILT = np.array([0.5, 0.1, 5.0, 0.6])
_FRAUD_TIER_WEIGHT = np.array([0.15, 1.0, 6.0])
_REASON_BY_CHANNEL = np.array([
    [0.55, 0.10, 0.35, 0.00, 0.00],  # chip: mostly counterfeit
    [0.00, 0.30, 0.70, 0.00, 0.00],  # contactless
    [0.00, 0.00, 0.00, 0.88, 0.12],  # online: card-absent
    [0.50, 0.00, 0.50, 0.00, 0.00],  # atm
])
_NAME_PREFIXES = ("Blue", "Golden", "Northside", "Oakwood", "Summit", "Harbor", "Maple",
                  "Riverside", "Sunrise", "Central", "Evergreen", "Silver", "Union", "Pioneer",
                  "Cedar", "Atlas", "Nova", "Metro", "Crown", "Willow", "Lakeside", "Redwood")

_CAT = {
    "code": [c.code for c in CATEGORIES],
    "tier": np.array([RISK_TIERS.index(c.risk_tier) for c in CATEGORIES]),
    "weight": np.array([c.weight for c in CATEGORIES]),
    "mu": np.log([c.median_usd for c in CATEGORIES]),
    "sigma": np.array([c.sigma for c in CATEGORIES]),
    "channels": np.array([c.channels for c in CATEGORIES]),
}
_CTRY = {
    "code": [c.code for c in COUNTRIES],
    "home_w": np.array([c.home_weight for c in COUNTRIES]),
    "travel_w": np.array([c.travel_weight for c in COUNTRIES]),
    "high_risk": np.array([c.is_high_risk for c in COUNTRIES]),
    "currency": np.array([sorted(CURRENCY_RATES).index(c.currency) for c in COUNTRIES]),
    "usd_rate": np.array([CURRENCY_RATES[c.currency] for c in COUNTRIES]),
}
_CURRENCY_CODES = sorted(CURRENCY_RATES)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------
class GenerationSummary(dict[str, Path]):
    """Table name -> Parquet path (so it can be used as the path map), plus run facts."""

    def __init__(
        self,
        paths: dict[str, Path],
        *,
        row_counts: dict[str, int],
        parameters: dict[str, Any],
        manifest_path: Path,
        skipped: bool,
        elapsed_seconds: float,
    ) -> None:
        super().__init__(paths)
        self.row_counts = row_counts
        self.parameters = parameters
        self.manifest_path = manifest_path
        self.skipped = skipped  # True when existing files matched and nothing was written
        self.elapsed_seconds = elapsed_seconds

    def __repr__(self) -> str:
        return (f"GenerationSummary(rows={self.row_counts}, skipped={self.skipped}, "
                f"elapsed_seconds={self.elapsed_seconds:.2f})")


def generate(
    out_dir: str | os.PathLike[str] = "data/raw",
    n_transactions: int = 50_000,
    seed: int = 42,
    end: datetime | str = DEFAULT_END,
    days: int = 90,
    n_users: int | None = None,
    n_merchants: int | None = None,
    progress: bool = True,
    force: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> GenerationSummary:
    """Generate the raw tables into ``out_dir`` and return their paths.

    ``end`` is a naive UTC datetime (or ISO string); the period is ``[end - days, end)``.
    ``n_users`` defaults to ``n_transactions // 25`` and ``n_merchants`` to
    ``max(200, n_transactions // 100)``. ``chunk_rows`` is the time-slice size; it is a
    parameter of the data (a different value gives different, equally valid, data).
    Unless ``force`` is set, nothing is written when ``_manifest.json`` records the same
    parameters and every file still has its recorded sha256 (``summary.skipped``).
    """
    started = time.perf_counter()
    out = Path(out_dir)
    params = _parameters(n_transactions, seed, end, days, n_users, n_merchants, chunk_rows)
    manifest_path = out / MANIFEST_NAME
    paths = {t: out / f"{t}.parquet" for t in TABLES}
    if not force:
        existing = _matching_manifest(out, params)
        if existing is not None:
            return GenerationSummary(
                paths, row_counts=existing["row_counts"], parameters=params,
                manifest_path=manifest_path, skipped=True,
                elapsed_seconds=time.perf_counter() - started)

    out.mkdir(parents=True, exist_ok=True)
    # A crash mid-run must not leave a manifest describing a mix of old and new files.
    manifest_path.unlink(missing_ok=True)
    with _progress_bar(progress) as bar:
        row_counts = _generate_files(out, params, bar)
    manifest = {
        "parameters": params,
        "row_counts": row_counts,
        "files": {t: {"path": p.name, "sha256": _sha256(p), "bytes": p.stat().st_size}
                  for t, p in paths.items()},
    }
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return GenerationSummary(
        paths, row_counts=row_counts, parameters=params, manifest_path=manifest_path,
        skipped=False, elapsed_seconds=time.perf_counter() - started)


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The parsed ``_manifest.json`` of a raw-data directory, or None if absent/corrupt."""
    try:
        return json.loads((Path(out_dir) / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------
# Parameters, manifest, files
# --------------------------------------------------------------------------------------
def _parameters(n_transactions: int, seed: int, end: datetime | str, days: int,
                n_users: int | None, n_merchants: int | None,
                chunk_rows: int) -> dict[str, Any]:
    if isinstance(end, str):
        end = datetime.fromisoformat(end)
    if end.tzinfo is not None:  # everything downstream is naive UTC
        end = end.astimezone(timezone.utc).replace(tzinfo=None)
    n_users = n_users if n_users is not None else max(1, n_transactions // 25)
    n_merchants = n_merchants if n_merchants is not None else max(200, n_transactions // 100)
    if n_transactions < 1 or days < 1 or n_users < 1 or chunk_rows < 1 or seed < 0:
        raise ValueError("n_transactions, days, n_users and chunk_rows must be >= 1, seed >= 0")
    if n_merchants < 2 * len(COUNTRIES):
        # every country needs merchants from day one, or travellers would have nowhere to pay
        raise ValueError(f"n_merchants must be >= {2 * len(COUNTRIES)}")
    return {
        "generator_version": GENERATOR_VERSION,
        "n_transactions": int(n_transactions),
        "seed": int(seed),
        "end": end.isoformat(),
        "days": int(days),
        "n_users": int(n_users),
        "n_merchants": int(n_merchants),
        "chunk_rows": int(chunk_rows),
    }


def _matching_manifest(out: Path, params: dict[str, Any]) -> dict[str, Any] | None:
    manifest = read_manifest(out)
    if not manifest or manifest.get("parameters") != params:
        return None
    files = manifest.get("files", {})
    for table in TABLES:
        path = out / f"{table}.parquet"
        if table not in files or not path.is_file() or _sha256(path) != files[table]["sha256"]:
            return None
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_table(path: Path, table: pa.Table) -> None:
    with replacing(path) as partial:
        pq.write_table(table, partial, row_group_size=DEFAULT_CHUNK_ROWS, **_PARQUET_OPTIONS)


class _RateColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        # Average since start: per-update speed is meaningless with few, large chunks.
        speed = task.completed / task.elapsed if task.elapsed else 0.0
        return Text(f"{speed:,.0f} rows/s", style="progress.data.speed")


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def _generate_files(out: Path, params: dict[str, Any], bar: Progress) -> dict[str, int]:
    end_s = calendar.timegm(datetime.fromisoformat(params["end"]).timetuple())
    start_s = end_s - params["days"] * DAY
    users_seq, merchants_seq, tx_seq = np.random.SeedSequence(params["seed"]).spawn(3)

    task = bar.add_task("users + merchants", total=params["n_users"] + params["n_merchants"])
    users = _make_users(np.random.default_rng(users_seq), params["n_users"], start_s, end_s)
    merchants = _make_merchants(np.random.default_rng(merchants_seq), params["n_merchants"],
                                start_s, end_s)
    _write_table(out / "users.parquet", users.table)
    _write_table(out / "merchants.parquet", merchants.table)
    bar.update(task, completed=params["n_users"] + params["n_merchants"])

    world = _World.build(users, merchants, start_s, end_s, params["n_transactions"])
    task = bar.add_task("transactions", total=params["n_transactions"])
    n_tx, chargebacks = _write_transactions(out / "transactions.parquet", world, tx_seq,
                                            params["chunk_rows"], lambda n: bar.advance(task, n))
    bar.update(task, total=n_tx)  # the target was approximate; end the bar at 100%
    _write_table(out / "chargebacks.parquet", chargebacks)
    return {"users": params["n_users"], "merchants": params["n_merchants"],
            "transactions": n_tx, "chargebacks": chargebacks.num_rows}


# --------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------
def _ts(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds -> naive timestamp[us]."""
    return pa.array(seconds.astype("datetime64[s]").astype("datetime64[us]"))


def _strings(vocab: list[str] | tuple[str, ...], idx: np.ndarray) -> pa.Array:
    return pa.array(list(vocab), pa.string()).take(pa.array(idx))


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from an (n, k) matrix of unnormalised weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (u[:, None] >= cum).sum(axis=1).astype(np.int8)


def _expand_runs(rng: np.random.Generator, sizes: np.ndarray, base_gap: float,
                 mean_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """For runs of ``sizes`` events: (run index per event, seconds since the run's first)."""
    run = np.repeat(np.arange(sizes.size), sizes)
    first = np.cumsum(sizes) - sizes
    pos = np.arange(run.size) - first[run]
    gaps = np.where(pos > 0, base_gap + rng.exponential(mean_gap, run.size), 0.0)
    cum = np.cumsum(gaps.astype(np.int64))
    return run, cum - cum[first][run]


def _hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    return [f"{v:012x}" for v in rng.integers(0, 1 << 48, n, dtype=np.int64).tolist()]


class _TimedSampler:
    """Weighted choice among items that already exist at time t, within a group.

    Items are sorted by (group, created_at) so the items available to (g, t) are a
    contiguous prefix of g's segment; sampling is then one searchsorted on cumulative
    weights, fully vectorised.
    """

    _STRIDE = np.int64(1) << 40  # > any epoch-seconds value we use

    def __init__(self, group: np.ndarray, created: np.ndarray, weight: np.ndarray,
                 n_groups: int) -> None:
        self.order = np.lexsort((created, group))
        sorted_group = group[self.order].astype(np.int64)
        self.key = sorted_group * self._STRIDE + created[self.order]
        self.cum = np.cumsum(weight[self.order])
        self.group_start = np.searchsorted(sorted_group, np.arange(n_groups))

    def sample(self, rng: np.random.Generator, group: np.ndarray,
               t: np.ndarray) -> np.ndarray:
        lo = self.group_start[group]
        hi = np.searchsorted(self.key, group.astype(np.int64) * self._STRIDE + t, "right")
        hi = np.maximum(hi, lo + 1)  # never empty: callers guarantee an early item per group
        c0 = np.where(lo > 0, self.cum[lo - 1], 0.0)
        c1 = self.cum[hi - 1]
        idx = np.searchsorted(self.cum, c0 + rng.random(group.size) * (c1 - c0), "right")
        return self.order[np.clip(idx, lo, hi - 1)]


# --------------------------------------------------------------------------------------
# Users and merchants
# --------------------------------------------------------------------------------------
@dataclass
class _Users:
    table: pa.Table
    home: np.ndarray  # country index
    signup: np.ndarray  # epoch seconds
    activity: np.ndarray  # relative transaction rate (heavy-tailed)
    spend_scale: np.ndarray  # multiplies amounts
    trips: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (start, stop, country) slots
    device_ids: list[str]  # n mobile ids then n desktop ids


def _make_users(rng: np.random.Generator, n: int, start_s: int, end_s: int) -> _Users:
    n_c = len(COUNTRIES)
    home = rng.choice(n_c, n, p=_CTRY["home_w"] / _CTRY["home_w"].sum())
    in_period = rng.random(n) < IN_PERIOD_SIGNUP_P
    in_period[0] = False  # someone must be able to transact at the very start
    before = np.minimum(rng.exponential(700 * DAY, n), 3650 * DAY).astype(np.int64)
    signup = np.where(in_period,
                      start_s + (rng.random(n) * (end_s - start_s) * 0.95).astype(np.int64),
                      start_s - DAY - before)
    tier = rng.choice(3, n, p=[0.72, 0.21, 0.07])
    limit_median = np.array([4_000.0, 12_000.0, 35_000.0])[tier]
    credit_limit = np.round(limit_median * rng.lognormal(0.0, 0.45, n) / 100.0) * 100.0
    age = np.clip(rng.normal(40, 14, n), 18, 85)
    birth_year = (2026 - age).astype(np.int32)
    # Profile snapshot: about half were edited since signup (SCD1-style updated_at).
    edited = rng.random(n) < 0.55
    updated = np.where(edited, signup + (rng.random(n) * (end_s - signup)).astype(np.int64),
                       signup)
    trips = [_trip_slot(rng, home, p, start_s, end_s) for p in (0.30, 0.10)]
    device_ids = _hex_ids(rng, 2 * n)
    table = pa.Table.from_arrays([
        pa.array(np.arange(1, n + 1, dtype=np.int64)),
        _ts(signup),
        pa.array(birth_year),
        _strings(_CTRY["code"], home),
        _strings(CARD_TIERS, tier),
        pa.array(np.maximum(credit_limit, 500.0)),
        _ts(updated),
    ], schema=SCHEMAS["users"])
    return _Users(
        table=table, home=home, signup=signup,
        activity=rng.lognormal(0.0, 1.1, n),
        spend_scale=rng.lognormal(0.0, 0.3, n) * np.array([1.0, 1.3, 1.8])[tier],
        trips=trips, device_ids=device_ids)


def _trip_slot(rng: np.random.Generator, home: np.ndarray, p: float, start_s: int,
               end_s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One optional trip abroad per user: travel makes foreign transactions clustered."""
    n, n_c = home.size, len(COUNTRIES)
    has = rng.random(n) < p
    begin = start_s - 5 * DAY + (rng.random(n) * (end_s - start_s + 5 * DAY)).astype(np.int64)
    stop = begin + rng.integers(2 * DAY, 14 * DAY, n)
    dest = rng.choice(n_c, n, p=_CTRY["travel_w"] / _CTRY["travel_w"].sum())
    dest = np.where(dest == home, (dest + 1 + rng.integers(0, n_c - 1, n)) % n_c, dest)
    return np.where(has, begin, 0), np.where(has, stop, 0), dest


@dataclass
class _Merchants:
    table: pa.Table
    country: np.ndarray
    cat: np.ndarray  # reported (acquirer) category index
    true_cat: np.ndarray  # what the business really is: drives amounts and channels
    miscoded: np.ndarray
    onboarded: np.ndarray
    popularity: np.ndarray
    term_offset: np.ndarray  # first POS terminal index
    n_terms: np.ndarray
    terminal_ids: list[str]


def _merchant_countries(rng: np.random.Generator, n: int) -> np.ndarray:
    n_c = len(COUNTRIES)
    w = 0.7 * _CTRY["home_w"] / _CTRY["home_w"].sum() + 0.3 * _CTRY["travel_w"] / _CTRY[
        "travel_w"].sum()
    # Two merchants per country first, so every country has somewhere to pay from day one.
    guaranteed = np.tile(np.arange(n_c), 2)
    return np.concatenate([guaranteed, rng.choice(n_c, n - guaranteed.size, p=w)])


def _merchant_categories(rng: np.random.Generator, n: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_cat = len(CATEGORIES)
    share = _CAT["weight"] ** 0.7  # flatter than traffic: rare categories still get shops
    true_cat = rng.choice(n_cat, n, p=share / share.sum())
    miscoded = rng.random(n) < MISCODED_P
    miscoded[rng.integers(0, n)] = True  # at least one, even for tiny demos
    high = np.flatnonzero(_CAT["tier"] == 2)
    cover = np.flatnonzero((_CAT["tier"] < 2) & (np.array(_CAT["code"]) != "6011"))
    # Mis-coded merchants are really high-risk businesses reporting an innocuous MCC.
    true_cat = np.where(miscoded, rng.choice(high, n), true_cat)
    cover_w = share[cover] / share[cover].sum()
    cat = np.where(miscoded, rng.choice(cover, n, p=cover_w), true_cat)
    return cat, true_cat, miscoded


def _embeddings(rng: np.random.Generator, true_cat: np.ndarray) -> pa.Array:
    centroids = rng.standard_normal((len(CATEGORIES), EMBEDDING_DIM))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    emb = centroids[true_cat] + 0.12 * rng.standard_normal((true_cat.size, EMBEDDING_DIM))
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    offsets = pa.array(np.arange(0, emb.size + 1, EMBEDDING_DIM, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(emb.ravel()), type=pa.list_(pa.float32()))


def _make_merchants(rng: np.random.Generator, n: int, start_s: int, end_s: int) -> _Merchants:
    country = _merchant_countries(rng, n)
    cat, true_cat, miscoded = _merchant_categories(rng, n)
    late = rng.random(n) < IN_PERIOD_ONBOARD_P
    late[: 2 * len(COUNTRIES)] = False  # the guaranteed ones exist before the period
    before = np.minimum(rng.exponential(3 * 365 * DAY, n), 12 * 365 * DAY).astype(np.int64)
    onboarded = np.where(
        late, start_s + (rng.random(n) * (end_s - start_s) * 0.9).astype(np.int64),
        start_s - DAY - before)
    share = _CAT["weight"] ** 0.7
    popularity = rng.lognormal(0.0, 1.0, n) * (_CAT["weight"] / share)[true_cat]
    card_present = _CAT["channels"][true_cat][:, [CH_CHIP, CH_CONTACTLESS, CH_ATM]].sum(1) > 0
    n_terms = np.where(card_present, rng.integers(1, 5, n), 1)
    term_offset = np.cumsum(n_terms) - n_terms
    ids = np.arange(1, n + 1, dtype=np.int64)
    terminal_ids = [f"T{m:07d}-{k}" for m, nt in zip(ids.tolist(), n_terms.tolist(),
                                                     strict=True) for k in range(nt)]
    prefixes = rng.integers(0, len(_NAME_PREFIXES), n).tolist()
    nouns = rng.integers(0, 3, n).tolist()
    tc = true_cat.tolist()
    names = [f"{_NAME_PREFIXES[p]} {CATEGORIES[c].nouns[k]}"
             for p, c, k in zip(prefixes, tc, nouns, strict=True)]
    descriptions = [f"{CATEGORIES[c].blurb.capitalize()}, based in {COUNTRIES[k].name}."
                    for c, k in zip(tc, country.tolist(), strict=True)]
    table = pa.Table.from_arrays([
        pa.array(ids),
        pa.array(names, pa.string()),
        _strings(_CAT["code"], cat),
        _strings(_CTRY["code"], country),
        pa.array(descriptions, pa.string()),
        _embeddings(rng, true_cat),
        _ts(onboarded),
    ], schema=SCHEMAS["merchants"])
    return _Merchants(table=table, country=country, cat=cat, true_cat=true_cat,
                      miscoded=miscoded, onboarded=onboarded, popularity=popularity,
                      term_offset=term_offset, n_terms=n_terms, terminal_ids=terminal_ids)


# --------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------
@dataclass
class _World:
    """Everything a time slice needs; built once, read-only afterwards."""

    users: _Users
    merch: _Merchants
    start_s: int
    end_s: int
    n_transactions: int
    hour_weights: np.ndarray
    anchor_rate: float  # organic anchors per unit of hour weight
    burst_rate: float  # bursts per unit of hour weight
    user_sampler: _TimedSampler
    legit_sampler: _TimedSampler
    online_sampler: _TimedSampler
    fraud_sampler: _TimedSampler
    static_devices: pa.Array  # user mobiles, user desktops, POS terminals

    @classmethod
    def build(cls, users: _Users, merch: _Merchants, start_s: int, end_s: int,
              n_transactions: int) -> _World:
        n_hours = (end_s - start_s) // 3600
        abs_hour = start_s // 3600 + np.arange(n_hours)
        growth = 1.0 + 0.08 * np.arange(n_hours) / n_hours  # the card book grows a little
        weights = _DIURNAL[abs_hour % 24] * _WEEKLY[(abs_hour // 24 + 3) % 7] * growth
        organic = n_transactions * (1.0 - BURST_FRACTION - DUPLICATE_FRACTION)
        n_c = len(COUNTRIES)
        zeros = np.zeros(users.home.size, dtype=np.int64)
        online_share = _CAT["channels"][merch.true_cat][:, CH_ONLINE]
        fraud_w = (np.sqrt(merch.popularity) * _FRAUD_TIER_WEIGHT[_CAT["tier"][merch.true_cat]]
                   * np.where(merch.miscoded, 8.0, 1.0))
        return cls(
            users=users, merch=merch, start_s=start_s, end_s=end_s,
            n_transactions=n_transactions, hour_weights=weights,
            anchor_rate=organic / MEAN_SESSION / weights.sum(),
            burst_rate=n_transactions * BURST_FRACTION / MEAN_BURST / weights.sum(),
            user_sampler=_TimedSampler(zeros, users.signup, users.activity, 1),
            legit_sampler=_TimedSampler(merch.country, merch.onboarded, merch.popularity, n_c),
            online_sampler=_TimedSampler(merch.country, merch.onboarded,
                                         merch.popularity * online_share, n_c),
            fraud_sampler=_TimedSampler(merch.country, merch.onboarded, fraud_w, n_c),
            static_devices=pa.array(users.device_ids + merch.terminal_ids, pa.string()),
        )

    @property
    def n_static_devices(self) -> int:
        return len(self.static_devices)


def _slices(weights: np.ndarray, n_rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """Contiguous hour ranges holding about ``chunk_rows`` expected rows each."""
    n_slices = max(1, math.ceil(n_rows / chunk_rows))
    cum = np.cumsum(weights) / weights.sum() * n_rows
    cuts = np.searchsorted(cum, np.arange(1, n_slices) * chunk_rows)
    bounds = np.unique(np.concatenate([[0], cuts, [weights.size]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _write_transactions(path: Path, w: _World, seq: np.random.SeedSequence, chunk_rows: int,
                        advance: Any) -> tuple[int, pa.Table]:
    slices = _slices(w.hour_weights, w.n_transactions, chunk_rows)
    # One child seed per slice: the data depends on the parameters only, never on timing.
    children = seq.spawn(len(slices))
    next_id, labels = 1, []
    with replacing(path) as partial, pq.ParquetWriter(partial, SCHEMAS["transactions"],
                                                      **_PARQUET_OPTIONS) as writer:
        for (h0, h1), child in zip(slices, children, strict=True):
            rng = np.random.default_rng(child)
            ev, fraud_devices = _slice_events(w, rng, h0, h1)
            table = _transactions_table(w, ev, next_id, fraud_devices)
            writer.write_table(table, row_group_size=max(1, table.num_rows))  # one per slice
            labels.append(_labels(rng, ev, next_id))
            next_id += table.num_rows
            advance(table.num_rows)
    return next_id - 1, _chargebacks_table(labels)


def _slice_events(w: _World, rng: np.random.Generator, h0: int, h1: int
                  ) -> tuple[dict[str, np.ndarray], list[str]]:
    slice_end = w.start_s + h1 * 3600
    legit = _legit_events(w, rng, h0, h1, slice_end)
    dups = _duplicates(w, rng, legit)
    bursts, fraud_devices = _burst_events(w, rng, h0, h1, slice_end)
    ev = {k: np.concatenate([legit[k], dups[k], bursts[k]]) for k in legit}
    order = np.lexsort((rng.random(ev["t"].size), ev["t"]))
    return {k: v[order] for k, v in ev.items()}, fraud_devices


def _hourly_times(w: _World, rng: np.random.Generator, hours: np.ndarray,
                  counts: np.ndarray) -> np.ndarray:
    hour = np.repeat(hours, counts)
    return w.start_s + hour * 3600 + rng.integers(0, 3600, hour.size)


def _legit_events(w: _World, rng: np.random.Generator, h0: int, h1: int,
                  slice_end: int) -> dict[str, np.ndarray]:
    hours = np.arange(h0, h1)
    anchors = _hourly_times(w, rng, hours, rng.poisson(w.anchor_rate * w.hour_weights[h0:h1]))
    user = w.user_sampler.sample(rng, np.zeros(anchors.size, np.int64), anchors)
    # Shopping sessions: some anchors are followed by more purchases minutes later.
    extra = np.where(rng.random(anchors.size) < SESSION_P,
                     rng.geometric(SESSION_GEOM_P, anchors.size), 0)
    run, offset = _expand_runs(rng, 1 + extra, 30.0, SESSION_GAP_S)
    t, user = anchors[run] + offset, user[run]
    keep = t < slice_end  # follow-ups past the slice would break the global sort
    t, user = t[keep], user[keep]

    country = _location(w, user, t)
    merchant = w.legit_sampler.sample(rng, country, t)
    # Cross-border e-commerce: a foreign online merchant, whatever the cardholder's location.
    cross = rng.random(t.size) < CROSS_BORDER_P
    tw = _CTRY["travel_w"]
    cb_country = rng.choice(len(COUNTRIES), int(cross.sum()), p=tw / tw.sum())
    merchant[cross] = w.online_sampler.sample(rng, cb_country, t[cross])
    tilt = np.where(cross[:, None], np.array([0.0, 0.0, 1.0, 0.0]), 1.0)
    return _complete_events(w, rng, t, user, merchant, tilt, boost=1.0, organic_fraud=True)


def _location(w: _World, user: np.ndarray, t: np.ndarray) -> np.ndarray:
    country = w.users.home[user]
    for begin, stop, dest in w.users.trips:
        country = np.where((t >= begin[user]) & (t < stop[user]), dest[user], country)
    return country


def _complete_events(w: _World, rng: np.random.Generator, t: np.ndarray, user: np.ndarray,
                     merchant: np.ndarray, tilt: np.ndarray | float, boost: np.ndarray | float,
                     organic_fraud: bool) -> dict[str, np.ndarray]:
    """Channel, device, amount and (organic) fraud flag for located events."""
    true_cat = w.merch.true_cat[merchant]
    weights = _CAT["channels"][true_cat] * tilt
    # A tilt can zero out every channel a merchant supports; then use its natural mix.
    weights = np.where(weights.sum(1, keepdims=True) > 0, weights, _CAT["channels"][true_cat])
    channel = _pick(rng, weights)
    dtype, dev = _devices(w, rng, channel, user, merchant)
    usd = np.exp(_CAT["mu"][true_cat] + _CAT["sigma"][true_cat] * rng.standard_normal(t.size))
    usd *= w.users.spend_scale[user] * boost
    amount = np.maximum(np.round(usd / _CTRY["usd_rate"][w.merch.country[merchant]], 2), 0.01)
    fraud = (_organic_fraud(w, rng, t, user, merchant, channel) if organic_fraud
             else np.zeros(t.size, bool))
    return {"t": t, "user": user, "merchant": merchant, "channel": channel, "dtype": dtype,
            "dev": dev, "amount": amount, "fraud": fraud}


def _devices(w: _World, rng: np.random.Generator, channel: np.ndarray, user: np.ndarray,
             merchant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_users = w.users.home.size
    r = rng.random(channel.size)
    dtype = np.full(channel.size, DT_POS, np.int8)
    dtype[(channel == CH_CONTACTLESS) & (r < 0.25)] = DT_MOBILE  # phone wallet taps
    online = channel == CH_ONLINE
    dtype[online] = np.where(r[online] < 0.6, DT_MOBILE, DT_DESKTOP)
    terminal = w.merch.term_offset[merchant] + (
        rng.random(channel.size) * w.merch.n_terms[merchant]).astype(np.int64)
    dev = np.where(dtype == DT_POS, 2 * n_users + terminal,
                   np.where(dtype == DT_MOBILE, user, n_users + user))
    return dtype, dev


def _organic_fraud(w: _World, rng: np.random.Generator, t: np.ndarray, user: np.ndarray,
                   merchant: np.ndarray, channel: np.ndarray) -> np.ndarray:
    country = w.merch.country[merchant]
    p = _TIER_BASE[_CAT["tier"][w.merch.true_cat[merchant]]] * _CHANNEL_FRAUD_MULT[channel]
    p = p * np.where(country != w.users.home[user], _FOREIGN_MULT, 1.0)
    p = p * np.where((t // 3600) % 24 < 6, _NIGHT_MULT, 1.0)
    p = p * np.where(w.merch.miscoded[merchant], _MISCODED_MULT, 1.0)
    p = p * np.where(_CTRY["high_risk"][country], _HIGH_RISK_COUNTRY_MULT, 1.0)
    return rng.random(t.size) < p


def _duplicates(w: _World, rng: np.random.Generator,
                ev: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Deliberate same-second ties: split payments posted at the same instant."""
    n = ev["t"].size
    src = np.sort(rng.choice(n, min(n, rng.binomial(n, DUPLICATE_FRACTION)), replace=False))
    dup = {k: v[src] for k, v in ev.items()}
    true_cat = w.merch.true_cat[dup["merchant"]]
    usd = np.exp(_CAT["mu"][true_cat] + _CAT["sigma"][true_cat] * rng.standard_normal(src.size))
    rate = _CTRY["usd_rate"][w.merch.country[dup["merchant"]]]
    dup["amount"] = np.maximum(np.round(usd * w.users.spend_scale[dup["user"]] / rate, 2), 0.01)
    return dup


def _burst_events(w: _World, rng: np.random.Generator, h0: int, h1: int, slice_end: int
                  ) -> tuple[dict[str, np.ndarray], list[str]]:
    """Compromised cards: several online/foreign, high-value purchases within hours."""
    hours = np.arange(h0, h1)
    hw = _FRAUD_DIURNAL[(w.start_s // 3600 + hours) % 24]
    n_bursts = rng.poisson(w.burst_rate * w.hour_weights[h0:h1].sum())
    start = _hourly_times(w, rng, hours, rng.multinomial(n_bursts, hw / hw.sum()))
    victim = w.user_sampler.sample(rng, np.zeros(n_bursts, np.int64), start)
    foreign = rng.random(n_bursts) < 0.65
    risky_w = _CTRY["travel_w"] * np.where(_CTRY["high_risk"], 8.0, 1.0)
    where = np.where(foreign, rng.choice(len(COUNTRIES), n_bursts, p=risky_w / risky_w.sum()),
                     w.users.home[victim])
    sizes = np.minimum(2 + rng.poisson(BURST_MEAN_EXTRA, n_bursts), 12)
    burst, offset = _expand_runs(rng, sizes, 30.0, 480.0)  # minutes apart
    t = start[burst] + offset
    keep = t < slice_end
    burst, t = burst[keep], t[keep]
    user = victim[burst]
    merchant = w.fraud_sampler.sample(rng, where[burst], t)
    boost = 2.5 * rng.lognormal(0.0, 0.3, t.size)  # fraudsters cash out fast
    ev = _complete_events(w, rng, t, user, merchant, _FRAUD_CHANNEL_TILT, boost,
                          organic_fraud=False)
    # Card-not-present fraud comes from the fraudster's own device, one per burst.
    online = ev["channel"] == CH_ONLINE
    burst_dtype = np.where(rng.random(n_bursts) < 0.5, DT_MOBILE, DT_DESKTOP).astype(np.int8)
    ev["dtype"] = np.where(online, burst_dtype[burst], ev["dtype"]).astype(np.int8)
    ev["dev"] = np.where(online, w.n_static_devices + burst, ev["dev"])
    ev["fraud"] = rng.random(t.size) < 0.93  # a few are never disputed
    return ev, _hex_ids(rng, n_bursts)


def _transactions_table(w: _World, ev: dict[str, np.ndarray], first_id: int,
                        fraud_devices: list[str]) -> pa.Table:
    n = ev["t"].size
    merchant = ev["merchant"]
    country = w.merch.country[merchant]
    devices = pa.concat_arrays([w.static_devices, pa.array(fraud_devices, pa.string())])
    return pa.Table.from_arrays([
        pa.array(first_id + np.arange(n, dtype=np.int64)),
        pa.array(ev["user"].astype(np.int64) + 1),
        pa.array(merchant.astype(np.int64) + 1),
        pa.array(ev["amount"]),
        _strings(_CURRENCY_CODES, _CTRY["currency"][country]),
        _strings(_CAT["code"], w.merch.cat[merchant]),
        _strings(CHANNELS, ev["channel"]),
        _strings(DEVICE_TYPES, ev["dtype"]),
        devices.take(pa.array(ev["dev"])),
        _strings(_CTRY["code"], country),
        _ts(ev["t"]),
    ], schema=SCHEMAS["transactions"])


def _labels(rng: np.random.Generator, ev: dict[str, np.ndarray],
            first_id: int) -> dict[str, np.ndarray]:
    rows = np.flatnonzero(ev["fraud"])
    # Reporting delay: skewed, median ~10 days, between 2 and 60 days.
    delay = np.clip(rng.lognormal(np.log(10 * DAY), 0.8, rows.size), 2 * DAY, 60 * DAY)
    amount = ev["amount"][rows]
    partial = rng.random(rows.size) < 0.05  # some disputes cover part of the amount
    amount = np.where(partial, np.maximum(np.round(amount * rng.uniform(0.3, 1.0, rows.size),
                                                   2), 0.01), amount)
    return {
        "transaction_id": first_id + rows.astype(np.int64),
        "reason": _pick(rng, _REASON_BY_CHANNEL[ev["channel"][rows]]),
        "amount": amount,
        "reported": ev["t"][rows] + delay.astype(np.int64),
    }


def _chargebacks_table(parts: list[dict[str, np.ndarray]]) -> pa.Table:
    cb = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    # Ids in arrival order, as a dispute system would assign them.
    order = np.lexsort((cb["transaction_id"], cb["reported"]))
    cb = {k: v[order] for k, v in cb.items()}
    return pa.Table.from_arrays([
        pa.array(np.arange(1, order.size + 1, dtype=np.int64)),
        pa.array(cb["transaction_id"]),
        _strings(REASON_CODES, cb["reason"]),
        pa.array(cb["amount"].astype(np.float64)),
        _ts(cb["reported"]),
    ], schema=SCHEMAS["chargebacks"])
