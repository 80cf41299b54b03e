"""The vendored third-party manifests are byte-for-byte the published ones: every sha256 in
their README matches, so no test can pass by quietly editing an input."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import SHARED_MANIFESTS

_LISTED = re.compile(r"`([a-z_]+\.json)` \([\d,]+ bytes, sha256 `([0-9a-f]{64})`\)")


def test_every_listed_file_matches_its_checksum() -> None:
    readme = (SHARED_MANIFESTS / "README.md").read_text()
    checked = 0
    for section in readme.split("\n### ")[1:]:
        folder = section.split("`")[1]
        for filename, digest in _LISTED.findall(section):
            data = (SHARED_MANIFESTS / folder / filename).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{folder}/{filename}"
            checked += 1
    assert checked == 11
