"""`featureops init`: a new starter feature repository (``create_starter``), or featureops
added to an existing dbt project (``adopt_existing``). The starter's files are package data
under ``templates/starter/``; its sample data is generated at init time."""

from featureops.init.errors import InitError
from featureops.init.existing import AdoptResult, adopt_existing
from featureops.init.starter import Starter, create_starter

__all__ = ["AdoptResult", "InitError", "Starter", "adopt_existing", "create_starter"]
