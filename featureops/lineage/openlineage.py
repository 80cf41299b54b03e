"""OpenLineage run events for the nodes of a dbt project, built from the openlineage-python
client's own model classes and serialised by its ``Serde``.

One ``COMPLETE`` run event per job: every model, snapshot and seed (the jobs that write a
dataset) and every exposure (a consumer, with inputs only). Each dataset carries a
``schema`` facet; each model output a ``columnLineage`` facet from the compiled SQL, and
the columns that could not be traced are listed in an ``extractionError`` run facet rather
than left out silently. Runs are children (``parent`` facet) of one run for the dbt
invocation that wrote the manifest, and their ids are stable UUIDv5s of that invocation, so
exporting the same manifest twice gives the same events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from featureops._optional import require
from featureops.lineage.columns import ColumnLineageResolver
from featureops.lineage.graph import LineageGraph
from featureops.lineage.sql import Derivation

_JOB_TYPES = {"model": "MODEL", "snapshot": "SNAPSHOT", "seed": "SEED",
              "exposure": "EXPOSURE"}
_DATASET_TYPES = frozenset({"model", "snapshot", "seed", "source"})
_SUBTYPES = {"identity": "IDENTITY", "transformation": "TRANSFORMATION",
             "aggregation": "AGGREGATION"}
PRODUCER = "https://github.com/featureops/featureops"


@dataclass(frozen=True)
class Naming:
    """Where datasets and jobs live in OpenLineage terms."""

    dataset_namespace: str
    job_namespace: str = "dbt"


def default_naming(lineage: LineageGraph) -> Naming:
    """``<adapter>://<database>`` (``bigquery`` for BigQuery, per the OpenLineage naming
    spec); pass a :class:`Naming` to match the namespace your warehouse reports."""
    manifest = lineage.manifest
    adapter = (manifest.adapter_type or "dbt").lower()
    if adapter == "bigquery":
        return Naming("bigquery")
    databases = [getattr(m, "database", None) for m in manifest.models.values()]
    database = next((d for d in databases if d), manifest.project_name or "default")
    return Naming(f"{adapter}://{database}")


def run_events(lineage: LineageGraph, unique_ids: Iterable[str],
               resolver: ColumnLineageResolver, naming: Naming | None = None) -> list[Any]:
    """RunEvents for the job nodes among ``unique_ids`` (client classes, ready to emit)."""
    return list(_Exporter(lineage, resolver, naming or default_naming(lineage)).events(
        unique_ids))


def to_json_lines(events: Iterable[Any]) -> str:
    Serde = _client("serde").Serde  # noqa: N806 - the client's class name

    return "".join(Serde.to_json(event) + "\n" for event in events)


class _Exporter:
    def __init__(self, lineage: LineageGraph, resolver: ColumnLineageResolver,
                 naming: Naming) -> None:
        self.ev, self.facets = _client("event_v2"), _client("facet_v2")
        self.lineage = lineage
        self.manifest = lineage.manifest
        self.resolver = resolver
        self.naming = naming
        self.invocation = _uuid(self.manifest.invocation_id or self.manifest.path)
        self.event_time = self.manifest.generated_at or "1970-01-01T00:00:00Z"

    def events(self, unique_ids: Iterable[str]) -> Iterator[Any]:
        for uid in unique_ids:
            node_type = self.lineage.type_of(uid)
            if node_type in _JOB_TYPES:
                yield self._event(uid, node_type)

    def _event(self, uid: str, node_type: str) -> Any:
        ev = self.ev
        parents = [p for p in self.lineage.parents(uid)
                   if self.lineage.type_of(p) in _DATASET_TYPES]
        inputs = [ev.InputDataset(*self._dataset_id(p), facets=self._dataset_facets(p))
                  for p in parents]
        outputs, run_facets = [], self._run_facets()
        if node_type != "exposure":
            output_facets = self._dataset_facets(uid)
            if node_type in ("model", "snapshot"):
                lineage_facet, errors = self._column_lineage(uid)
                if lineage_facet is not None:
                    output_facets["columnLineage"] = lineage_facet
                if errors is not None:
                    run_facets["extractionError"] = errors
            outputs.append(ev.OutputDataset(*self._dataset_id(uid), facets=output_facets))
        return ev.RunEvent(
            eventType=ev.RunState.COMPLETE, eventTime=self.event_time, producer=PRODUCER,
            run=ev.Run(runId=str(_uuid(f"{self.invocation}/{uid}")), facets=run_facets),
            job=ev.Job(namespace=self.naming.job_namespace, name=uid,
                       facets=self._job_facets(uid, node_type)),
            inputs=inputs, outputs=outputs,
        )

    # -- facets --

    def _run_facets(self) -> dict[str, Any]:
        parent = self.facets.parent_run
        return {"parent": parent.ParentRunFacet(
            run=parent.Run(runId=str(self.invocation)),
            job=parent.Job(namespace=self.naming.job_namespace,
                           name=self.manifest.project_name or "dbt"))}

    def _job_facets(self, uid: str, node_type: str) -> dict[str, Any]:
        facets = self.facets
        result: dict[str, Any] = {"jobType": facets.job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="DBT", jobType=_JOB_TYPES[node_type])}
        node = self.manifest.get(uid)
        code = getattr(node, "compiled_code", None)
        if code:
            result["sql"] = facets.sql_job.SQLJobFacet(query=code,
                                                       dialect=self.resolver.dialect)
        info = self.lineage.info(uid)
        if info.description:
            result["documentation"] = facets.documentation_job.DocumentationJobFacet(
                description=info.description)
        if info.owner:
            ownership = facets.ownership_job
            result["ownership"] = ownership.OwnershipJobFacet(
                owners=[ownership.Owner(name=info.owner_email or info.owner)])
        return result

    def _dataset_facets(self, uid: str) -> dict[str, Any]:
        schema = self.facets.schema_dataset
        resource = self.manifest.get(uid)
        declared = getattr(resource, "columns", None) or {}
        by_lower = {name.lower(): column for name, column in declared.items()}
        names = self.resolver.columns_of(uid) or tuple(n.lower() for n in declared)
        fields = []
        for position, name in enumerate(names, start=1):
            column = by_lower.get(name)
            fields.append(schema.SchemaDatasetFacetFields(
                name=name, type=(column.data_type if column else None) or None,
                description=(" ".join(column.description.split()) if column else None) or None,
                ordinal_position=position))
        result: dict[str, Any] = {"schema": schema.SchemaDatasetFacet(fields=fields)}
        info = self.lineage.info(uid)
        if info.description:
            result["documentation"] = self.facets.documentation_dataset.\
                DocumentationDatasetFacet(description=info.description)
        return result

    def _column_lineage(self, uid: str) -> tuple[Any | None, Any | None]:
        analysis = self.resolver.analyse(uid)
        error_facet = self.facets.extraction_error_run
        if analysis.error:
            return None, error_facet.ExtractionErrorRunFacet(
                totalTasks=1, failedTasks=1,
                errors=[error_facet.Error(errorMessage=analysis.error, task=uid)])
        columns = self.facets.column_lineage_dataset
        fields: dict[str, Any] = {}
        errors = []
        for name, derivation in analysis.derivations.items():
            inputs = [self._input_field(i.relation, i.column, derivation)
                      for i in derivation.inputs if i.relation and i.relation != uid]
            errors.extend(error_facet.Error(errorMessage=i.reason, task=f"{uid}.{name}")
                          for i in derivation.inputs if i.relation is None)
            if inputs:
                fields[name] = columns.Fields(inputFields=inputs)
        facet = columns.ColumnLineageDatasetFacet(fields=fields) if fields else None
        failed = len({e.task for e in errors})
        report = error_facet.ExtractionErrorRunFacet(
            totalTasks=len(analysis.derivations), failedTasks=failed,
            errors=errors) if errors else None
        return facet, report

    def _input_field(self, relation: str, column: str, derivation: Derivation) -> Any:
        columns = self.facets.column_lineage_dataset
        namespace, name = self._dataset_id(relation)
        subtype = _SUBTYPES.get(derivation.transformation, "TRANSFORMATION")
        return columns.InputField(
            namespace=namespace, name=name, field=column,
            transformations=[columns.Transformation(
                type="DIRECT", subtype=subtype, description=derivation.expression or None)])

    # -- naming --

    def _dataset_id(self, uid: str) -> tuple[str, str]:
        """(namespace, name): ``database.schema.table``; a file read in place (a DuckDB
        external source) is ``file`` + its path, as the OpenLineage naming spec says."""
        resource = self.manifest.get(uid)
        relation = (getattr(resource, "relation_name", None) or "").strip()
        if relation.startswith("'") and relation.endswith("'"):
            return "file", relation.strip("'")
        table = (getattr(resource, "identifier", None) or getattr(resource, "alias", None)
                 or getattr(resource, "name", uid))
        parts = [getattr(resource, "database", None), getattr(resource, "schema", None), table]
        return self.naming.dataset_namespace, ".".join(p for p in parts if p)


def _client(module: str) -> Any:
    """A module of openlineage-python, an optional dependency (featureops[openlineage])."""
    return require(f"openlineage.client.{module}", extra="openlineage")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, text)
