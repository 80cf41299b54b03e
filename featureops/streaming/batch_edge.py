"""The batch edge of a streaming view's online version (docs/decisions/0060-...).

When ``materialize`` builds a full version of a streaming view, the input model's rows of
the last ``w_max`` before the version's boundary ``B`` are stored with it, before its
pointer flips: ``B`` is one microsecond after the newest input event at or before the run's
end time, so the version covers every warehouse event up to its newest one and the stream
counts from there. Edges of versions no longer live (but the one just replaced, which
readers may still hold) are dropped after the flip.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from featureops.catalog import FeatureView
from featureops.engines.base import quote_identifier as quote
from featureops.online.encoding import datetime_to_micros, micros_to_datetime, to_utc
from featureops.online.warehouse import Warehouse, WarehouseError
from featureops.project import Project
from featureops.streaming.state import StreamState, open_state

if TYPE_CHECKING:
    from featureops.streaming.windows import StreamingView


def _literal(value: datetime) -> str:
    # generated from a datetime, never from user text: safe to inline
    return f"timestamp '{to_utc(value).replace(tzinfo=None).isoformat(sep=' ')}'"


class BatchEdges:
    """Writes and prunes the edges of one materialize run's streaming views."""

    def __init__(self, project: Project, store_config: Any) -> None:
        self.project = project
        self.store_config = store_config
        self._state: StreamState | None = None

    def state(self) -> StreamState:
        if self._state is None:
            self._state = open_state(self.project, self.store_config)
        return self._state

    def close(self) -> None:
        if self._state is not None:
            self._state.close()

    def streaming(self, view: FeatureView) -> StreamingView | None:
        if view.spec.streaming is None:
            return None
        from featureops.streaming.windows import batch_only, streaming_view  # sqlglot: lazily

        if batch_only(self.project.manifest):
            return None
        return streaming_view(self.project.manifest, view)

    def write(self, view: StreamingView, feature_view: FeatureView, warehouse: Warehouse,
              online_version: str, end: datetime) -> int:
        """Store the edge of ``online_version``; return the rows kept."""
        relation = self._relation(view)
        time = quote(view.event_time_column)
        newest = warehouse.read_table(
            f"select max({time}) as newest from {relation} where {time} <= {_literal(end)}",
            feature_view).column(0)[0].as_py()
        boundary = datetime_to_micros(newest if newest is not None else end) + 1
        start = micros_to_datetime(boundary - view.widths_micros[0])
        columns = ", ".join(quote(c) for c in view.input_columns)
        rows = warehouse.read_table(
            f"select {columns} from {relation} where {time} >= {_literal(start)} "
            f"and {time} < {_literal(micros_to_datetime(boundary))}", feature_view)
        return self.state().write_edge(view, online_version, boundary, rows)

    def prune(self, view: StreamingView, keep: list[str]) -> list[str]:
        """Drop the edges of online versions not in ``keep``."""
        return self.state().drop_edges(view, keep)

    def _relation(self, view: StreamingView) -> str:
        node = self.project.manifest.find_model(view.input_model)
        if not node.relation_name:
            raise WarehouseError(f"model '{node.name}' (the input of streaming view "
                                 f"'{view.name}') has no relation in the manifest; run "
                                 "`dbt build` so the manifest is current")
        return node.relation_name
