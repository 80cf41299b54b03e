"""Helpers for testing and benchmarking featureops on manifests that dbt did not write:
a small builder for hand-made manifests and a generator of large synthetic ones."""

from featureops.testing.manifests import ManifestBuilder, synthetic_manifest

__all__ = ["ManifestBuilder", "synthetic_manifest"]
