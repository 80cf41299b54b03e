"""The bundles folder index (featureops.bundles.index) and the server's once-per-bundle
checks (featureops.bundles.check): what is read when, and which verdict stands. The definition
hashes themselves are tested on a real build (tests/integration/test_dataset_versions.py);
here the live hashes come from a table the test controls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from featureops.bundles import check
from featureops.bundles.bundle import Bundle, BundleFeature, bundle_id, write_bundle
from featureops.bundles.check import UNCOMPILED, BundleChecks, changed_features, judge
from featureops.bundles.errors import BundleError, BundleNotFoundError
from featureops.bundles.index import BundleIndex


def make_bundle(folder: Path, dataset: str, views: dict[str, str]) -> Bundle:
    features = [BundleFeature(f"{view}__x", f"{view}:x", view, "DOUBLE", digest)
                for view, digest in views.items()]
    bundle = Bundle(bundle_id(features, dataset, {}), "model", dataset, features, {},
                    "2026-12-05T00:00:00Z")
    write_bundle(bundle, folder)
    return bundle


def test_the_index_finds_bundles_below_the_folder_and_new_ones(tmp_path: Path) -> None:
    first = make_bundle(tmp_path / "a", "ds-1", {"v": "h1"})
    nested = make_bundle(tmp_path / "team" / "b", "ds-2", {"v": "h1"})
    index = BundleIndex(tmp_path)
    assert index.find(nested.id).id == nested.id and index.find(first.id).id == first.id
    later = make_bundle(tmp_path / "c", "ds-3", {"w": "h2"})  # copied in while serving
    assert index.find(later.id).features == later.features
    with pytest.raises(BundleNotFoundError, match="unknown bundle 'bd-0000'"):
        index.find("bd-0000")
    # a folder overwritten by another bundle: the old id is gone, the new one found
    replaced = make_bundle(tmp_path / "a", "ds-4", {"v": "h1"})
    with pytest.raises(BundleNotFoundError):
        index.find(first.id)
    assert index.find(replaced.id).dataset_version == "ds-4"
    assert sorted(b.id for b in index.all()) == sorted([nested.id, later.id, replaced.id])


def test_an_edited_bundle_is_named_not_unknown(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "a", "ds-1", {"v": "h1"})
    path = tmp_path / "a" / "bundle.json"
    data = json.loads(path.read_text())
    data["features"][0]["definition_hash"] = "forged"
    path.write_text(json.dumps(data))
    with pytest.raises(BundleError, match="was edited") as caught:
        BundleIndex(tmp_path).find(bundle.id)
    assert not isinstance(caught.value, BundleNotFoundError)
    assert BundleIndex(tmp_path).all() == []  # skipped (and logged) by the audit


def test_changed_features_name_every_feature_of_a_changed_or_missing_view(tmp_path) -> None:
    bundle = make_bundle(tmp_path / "a", "ds-1", {"v": "h1", "w": "h2", "gone": "h3"})
    assert changed_features(bundle, {"v": "h1", "w": "h2", "gone": "h3"}) == []
    assert changed_features(bundle, {"v": "h1", "w": "other", "gone": None}) == [
        "w:x", "gone:x"]
    # a view the manifest has no compiled SQL for cannot be compared: refused, said so
    verdict = judge(bundle, {"v": UNCOMPILED + "h9", "w": "h2", "gone": "h3"})
    assert (verdict.changed, verdict.unchecked, bool(verdict)) == ((), ("v:x",), True)
    assert "no compiled SQL for v " in str(verdict.error(bundle.id))
    assert not judge(bundle, {"v": "h1", "w": "h2", "gone": "h3"})


@dataclass
class FakeProject:
    manifest_path: Path
    manifest: str = "manifest at start"


def test_checks_run_once_and_again_when_the_manifest_file_changes(tmp_path, monkeypatch
                                                                  ) -> None:
    bundle = make_bundle(tmp_path / "bundles" / "a", "ds-1", {"v": "h1"})
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    live = {"manifest at start": {"v": "h1"}, "manifest rebuilt": {"v": "h2"}}
    loads, checks_made = [], []

    def fake_load(path):
        loads.append(path)
        return "manifest rebuilt"

    def fake_hashes(loaded, views, memory=None):
        checks_made.append(loaded)
        return {view: live[loaded].get(view) for view in views}

    monkeypatch.setattr("featureops.manifest.load_manifest", fake_load)
    monkeypatch.setattr(check, "live_view_hashes", fake_hashes)
    monkeypatch.setattr(check, "feature_view_names", lambda loaded: ["v"])
    checks = BundleChecks(FakeProject(manifest), tmp_path / "bundles", recheck_seconds=3600)
    assert checks.cached(bundle.id) is None  # never checked: the caller goes to a thread
    assert checks.get(bundle.id).verdict.changed == ()
    assert checks.cached(bundle.id).verdict.changed == ()  # now a lookup, nothing read
    assert checks.get(bundle.id).verdict.changed == ()
    assert (loads, checks_made) == ([], ["manifest at start"])
    manifest.write_text('{"rebuilt": true}')  # within recheck_seconds: not looked at yet
    assert checks.get(bundle.id).verdict.changed == ()
    checks.recheck_seconds = 0
    assert checks.cached(bundle.id) is None  # due for a look: the caller goes to a thread
    assert checks.get(bundle.id).verdict.changed == ("v:x",)
    # the replaced manifest's compiled views remembered, then the new one checked
    assert (loads, checks_made) == ([manifest], ["manifest at start", "manifest at start",
                                                 "manifest rebuilt"])
    assert checks.get(bundle.id).verdict.changed == ("v:x",)  # unchanged file: not loaded
    assert len(loads) == 1 and len(checks_made) == 3


def test_a_manifest_rewritten_before_the_first_request_is_the_one_checked(tmp_path,
                                                                          monkeypatch) -> None:
    bundle = make_bundle(tmp_path / "bundles" / "a", "ds-1", {"v": "h1"})
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    monkeypatch.setattr("featureops.manifest.load_manifest", lambda path: "manifest rebuilt")
    monkeypatch.setattr(check, "feature_view_names", lambda loaded: ["v"])
    monkeypatch.setattr(check, "live_view_hashes", lambda loaded, views, memory=None: {
        "manifest at start": {"v": "h1"}, "manifest rebuilt": {"v": "h2"}}[loaded])
    checks = BundleChecks(FakeProject(manifest), tmp_path / "bundles")
    manifest.write_text('{"rebuilt": true}')  # after start-up, before any bundle request
    assert checks.get(bundle.id).verdict.changed == ("v:x",)


def test_an_unreadable_manifest_keeps_the_last_verdict_until_the_file_changes(
        tmp_path, monkeypatch) -> None:
    from featureops.exceptions import FeatureopsError

    bundle = make_bundle(tmp_path / "bundles" / "a", "ds-1", {"v": "h1"})
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    attempts = []

    def failing_load(path):
        attempts.append(path)
        raise FeatureopsError(f"{path}: not JSON")

    monkeypatch.setattr("featureops.manifest.load_manifest", failing_load)
    monkeypatch.setattr(check, "live_view_hashes",
                        lambda loaded, views, memory=None: {"v": "h1"})
    checks = BundleChecks(FakeProject(manifest), tmp_path / "bundles", recheck_seconds=0)
    assert not checks.get(bundle.id).verdict
    manifest.write_text("{half a manifest")  # dbt mid-write
    assert not checks.get(bundle.id).verdict and not checks.get(bundle.id).verdict
    assert len(attempts) == 1  # tried once for that file, not on every request
    manifest.write_text("{half a manifest, a bit more")
    checks.get(bundle.id)
    assert len(attempts) == 2
