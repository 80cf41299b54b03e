"""A bundle's features against the live definitions: which changed since it was built.

A feature still matches when its view's definition, computed from a manifest exactly as a
dataset version records it (featureops.datasets.definitions, from the view's
``meta.featureops`` as the join macro reads it), hashes as the bundle says. The server
(featureops.serving.bundled), the SDK (featureops.bundles.online) and the audit rule
``bundle_definitions_changed`` all ask this module.

Bundles are found by id in the bundles folder (featureops.bundles.index).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from featureops.bundles.bundle import Bundle, view_definition_hash
from featureops.bundles.errors import BundleDefinitionsChangedError
from featureops.bundles.index import BundleIndex
from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest

if TYPE_CHECKING:
    from featureops.project import Project

#: How long a check stands before the manifest file is looked at again (a stat).
RECHECK_SECONDS = 1.0
logger = logging.getLogger(__name__)


#: A live hash that could not be computed from compiled SQL starts with this.
UNCOMPILED = "raw:"


def live_view_hashes(manifest: Manifest, views: Iterable[str],
                     memory: dict[str, tuple[str, str]] | None = None
                     ) -> dict[str, str | None]:
    """Per view, the hash of its definition in ``manifest`` (None: not a feature view).

    A bundle records hashes of compiled SQL. A manifest from a partial ``dbt run -s``,
    ``compile -s`` or ``parse`` has only the raw SQL of the views it left out: with
    ``memory`` (view -> (raw definition hash, compiled hash), filled from every compiled
    view seen), such a view whose raw definition is unchanged keeps its compiled hash
    (that run did not rebuild it); otherwise its hash starts with ``UNCOMPILED``.
    """
    from featureops.datasets.definitions import sha256_of, view_definitions
    from featureops.lineage.graph import featureops_block

    out: dict[str, str | None] = {}
    for name in views:
        try:
            node = manifest.find_model(name)
        except FeatureopsError:
            node = None
        block = featureops_block(node) if node is not None else {}
        if node is None or block.get("kind") != "feature_view":
            out[name] = None
            continue
        # the descriptor resolve_feature_views gives the training set (its raw meta)
        [definition], _ = view_definitions(manifest, [{
            "name": name, "unique_id": node.unique_id,
            "entities": list(block.get("entities") or []),
            "timestamp": block.get("timestamp"),
            "created_timestamp": block.get("created_timestamp"),
            "ttl": block.get("ttl"), "features": []}])
        raw = view_definition_hash({**definition, "sql_hash": sha256_of(node.raw_code)})
        if definition["sql"] == "compiled":
            out[name] = view_definition_hash(definition)
            if memory is not None:
                memory[name] = (raw, out[name])
        elif memory is not None and memory.get(name, ("", ""))[0] == raw:
            out[name] = memory[name][1]
        else:
            out[name] = UNCOMPILED + view_definition_hash(definition)
    return out


def feature_view_names(manifest: Manifest) -> list[str]:
    from featureops.lineage.graph import featureops_block

    return [model.name for model in manifest.models.values()
            if featureops_block(model).get("kind") == "feature_view"]


@dataclass(frozen=True)
class Verdict:
    """A bundle against live definitions: features whose view changed, and features
    whose view has no compiled SQL in the manifest to compare."""

    changed: tuple[str, ...]
    unchecked: tuple[str, ...]
    unchecked_views: tuple[str, ...]

    def __bool__(self) -> bool:  # true: refuse
        return bool(self.changed or self.unchecked)

    def error(self, bundle_id: str) -> BundleDefinitionsChangedError:
        return BundleDefinitionsChangedError(bundle_id, self.changed, self.unchecked_views)


def judge(bundle: Bundle, live: dict[str, str | None]) -> Verdict:
    changed, unchecked, views = [], [], []
    for f in bundle.features:
        found = live.get(f.view)
        if found == f.definition_hash:
            continue
        if found is not None and found.startswith(UNCOMPILED):
            unchecked.append(f.reference)
            if f.view not in views:
                views.append(f.view)
        else:
            changed.append(f.reference)
    return Verdict(tuple(changed), tuple(unchecked), tuple(views))


def changed_features(bundle: Bundle, live: dict[str, str | None]) -> list[str]:
    """The bundle's features whose view's live definition differs from the bundle's."""
    return list(judge(bundle, live).changed)


def definition_changes(bundle: Bundle, manifest: Manifest,
                       memory: dict[str, tuple[str, str]] | None = None) -> Verdict:
    return judge(bundle, live_view_hashes(manifest, {f.view for f in bundle.features},
                                          memory))


@dataclass(frozen=True)
class CheckedBundle:
    bundle: Bundle
    verdict: Verdict


class BundleChecks:
    """Bundles by id, each read and checked once, and checked again when the manifest
    file changes (dbt wrote new definitions under a running server).

    :meth:`cached` is for the event loop: a dict lookup, None when the bundle is not
    checked yet or its check is older than ``recheck_seconds``; :meth:`get` reads files
    and may load a manifest, so it runs on a worker thread.
    """

    def __init__(self, project: Project, root: Path,
                 recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.project = project
        self.index = BundleIndex(root)
        self.recheck_seconds = recheck_seconds
        self._checked: dict[str, CheckedBundle] = {}
        self._memory: dict[str, tuple[str, str]] = {}  # live_view_hashes' memory
        self._manifest: Manifest | None = None
        # the file as the server started with it (its manifest is loaded at start-up)
        self._stamp = _stamp(project.manifest_path)
        self._looked_at = -float("inf")  # monotonic time of the last stat
        self._lock = threading.Lock()

    def cached(self, bundle_id: str) -> CheckedBundle | None:
        if time.monotonic() - self._looked_at >= self.recheck_seconds:
            return None
        return self._checked.get(bundle_id)

    def get(self, bundle_id: str) -> CheckedBundle:
        with self._lock:
            manifest = self._current_manifest()
            found = self._checked.get(bundle_id)
            if found is None:
                bundle = self.index.find(bundle_id)
                found = self._checked[bundle_id] = CheckedBundle(
                    bundle, definition_changes(bundle, manifest, self._memory))
            return found

    def _current_manifest(self) -> Manifest:
        now = time.monotonic()
        if self._manifest is not None and now - self._looked_at < self.recheck_seconds:
            return self._manifest
        if self._manifest is None:
            self._manifest = self.project.manifest  # what the server loaded at start
        stamp = _stamp(self.project.manifest_path)
        if stamp is not None and stamp != self._stamp:  # None: gone for now, keep the last
            from featureops.manifest import load_manifest

            try:
                loaded = load_manifest(self.project.manifest_path)
            except FeatureopsError as error:
                # dbt may be writing it: keep the last one until the file changes again
                logger.warning("bundle checks keep the previous manifest: %s", error)
            else:
                # what the replaced manifest compiled, for views the new one left
                # uncompiled
                live_view_hashes(self._manifest, feature_view_names(self._manifest),
                                 self._memory)
                self._manifest = loaded
                self._checked.clear()
            self._stamp = stamp
        self._looked_at = now
        return self._manifest


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino
