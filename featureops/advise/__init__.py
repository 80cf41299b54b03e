"""``featureops advise``: architecture, online-store and warehouse recommendations computed
from the project's own declarations and measurements (docs/advise.md).

``settings`` holds the thresholds (``vars.featureops.advise``), ``facts`` the numbers each
rule reads, ``gather`` measures them (every source optional: what cannot be measured is
stated, never guessed), ``rules`` are pure functions from facts and thresholds to a
recommendation, ``report`` ties them together and ``render`` prints table, markdown or
JSON."""
