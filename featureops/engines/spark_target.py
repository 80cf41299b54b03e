"""The engine of a dbt-spark profile target: ``session`` (PySpark in this process) or
``thrift`` (a Spark Thrift server, through PyHive); the ``http`` and ``odbc`` methods are
refused in one line (docs/spark.md says how to reach such a cluster).

A session target's warehouse folder and metastore are where the dbt build put them: the
target's ``server_side_parameters`` name them, relative paths taken from the project folder
(dbt ran there); when they name none, Spark's defaults in the project folder
(``spark-warehouse/``, ``metastore_db/``), not in the current directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from featureops.engines.base import Engine, WarehouseError
from featureops.profiles import ProfileTarget, project_path

WAREHOUSE_DIR = "spark.sql.warehouse.dir"
METASTORE_URL = "spark.hadoop.javax.jdo.option.ConnectionURL"
_DERBY_DATABASE = re.compile(r"(databaseName=)([^;]+)")


def spark_engine(target: ProfileTarget, project_dir: Path) -> Engine:
    method = str(target.credentials.get("method") or "")
    if method == "session":
        from featureops.engines.spark_engine import SparkSessionEngine

        return SparkSessionEngine(session_parameters(target, project_dir),
                                  source=target.describe())
    if method == "thrift":
        from featureops.engines.spark_thrift import SparkThriftEngine

        return SparkThriftEngine(target.credentials, source=target.describe())
    raise WarehouseError(f"{target.describe()} uses dbt-spark's '{method}' method; featureops "
                         "reads Spark through the 'session' or 'thrift' method (docs/spark.md)")


def session_parameters(target: ProfileTarget, project_dir: Path) -> dict[str, str]:
    """The target's Spark settings with the warehouse and metastore paths absolute."""
    parameters = {str(k): str(v) for k, v in
                  (target.credentials.get("server_side_parameters") or {}).items()}
    parameters[WAREHOUSE_DIR] = _absolute(project_dir, parameters.get(WAREHOUSE_DIR,
                                                                      "spark-warehouse"))
    url = parameters.get(METASTORE_URL, "jdbc:derby:;databaseName=metastore_db;create=true")
    parameters[METASTORE_URL] = _DERBY_DATABASE.sub(
        lambda m: m.group(1) + _absolute(project_dir, m.group(2)), url)
    return parameters


def _absolute(project_dir: Path, value: Any) -> str:
    text = str(value)
    if text.startswith("file:"):
        return text
    return project_path(project_dir, text)
