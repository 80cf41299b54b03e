"""The bundles folder: where model bundles are found (``FEATUREOPS_BUNDLES_DIR``, the
``serving.bundles_dir`` setting, ``<project>/bundles``), and bundles in it by id: any
``bundle.json`` below it, indexed by file so a new bundle is found without rereading the
others."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from featureops.bundles.bundle import BUNDLE_FILE, Bundle, read_bundle
from featureops.bundles.errors import BundleError, BundleNotFoundError

if TYPE_CHECKING:
    from featureops.project import Project
    from featureops.serving.settings import ServingSettings

BUNDLES_ENV = "FEATUREOPS_BUNDLES_DIR"
logger = logging.getLogger(__name__)


def bundles_root(project: Project, settings: ServingSettings | None = None) -> Path:
    """``FEATUREOPS_BUNDLES_DIR``, else the ``serving.bundles_dir`` setting (relative to
    the project), else ``<project>/bundles``."""
    if settings is None:
        from featureops.serving.settings import load_serving_settings

        settings = load_serving_settings(project)
    configured = os.environ.get(BUNDLES_ENV) or settings.bundles_dir
    return project.project_dir / (configured or "bundles")  # an absolute path stays one


class BundleIndex:
    """Bundle folders under ``root`` by id. A lookup of an id not seen yet looks at the
    folder again, reading only the ``bundle.json`` files that are new or changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, tuple[tuple[int, int], str | None]] = {}

    def find(self, bundle_id: str) -> Bundle:
        """The bundle, verified (an edited one is a BundleError naming its file)."""
        for attempt in range(2):
            if attempt:
                self.rescan()
            for path, (_, found) in list(self._files.items()):
                if found == bundle_id and path.is_file():
                    bundle = read_bundle(path.parent)
                    if bundle.id == bundle_id:  # not replaced since it was indexed
                        return bundle
        raise BundleNotFoundError(f"unknown bundle '{bundle_id}': none in the bundles folder "
                                  f"({self.root.name}/; FEATUREOPS_BUNDLES_DIR or "
                                  "serving.bundles_dir)")

    def all(self) -> list[Bundle]:
        """Every readable bundle (an unreadable one is skipped: the server names it when
        it is asked for)."""
        self.rescan()
        bundles = []
        for path, (_, found) in sorted(self._files.items()):
            if found is not None:
                try:
                    bundles.append(read_bundle(path.parent))
                except BundleError as error:
                    logger.warning("%s", error)
        return bundles

    def rescan(self) -> None:
        files: dict[Path, tuple[tuple[int, int], str | None]] = {}
        if self.root.is_dir():
            for path in self.root.rglob(BUNDLE_FILE):
                try:
                    status = path.stat()
                except OSError:
                    continue
                stamp = (status.st_mtime_ns, status.st_size)
                known = self._files.get(path)
                files[path] = known if known and known[0] == stamp else (stamp, _id_of(path))
        self._files = files


def _id_of(path: Path) -> str | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("bundle")
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None
