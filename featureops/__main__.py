"""Entry point of the `featureops` command (also `python -m featureops`)."""

from __future__ import annotations

import sys

from featureops.cli import run


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
