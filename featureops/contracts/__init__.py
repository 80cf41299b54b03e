"""Data contracts: the schema registry, compatibility modes, JSON Schema export, contract
scaffolding and write-time validation of pushed records.

See docs/contracts.md for the user guide and docs/decisions/0030-0035 for the choices.
"""

from featureops.contracts.check import (
    CheckReport,
    RegisterResult,
    check_contracts,
    manifest_histories,
    register_contracts,
    registry_histories,
)
from featureops.contracts.compatibility import RULES, Change, Violation, diff_contracts
from featureops.contracts.contract import ColumnContract, Contract, contracts_from_manifest
from featureops.contracts.registry import Registry

__all__ = [
    "RULES",
    "Change",
    "CheckReport",
    "ColumnContract",
    "Contract",
    "RegisterResult",
    "Registry",
    "Violation",
    "check_contracts",
    "contracts_from_manifest",
    "diff_contracts",
    "manifest_histories",
    "register_contracts",
    "registry_histories",
]
