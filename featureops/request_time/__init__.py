"""Request-time feature views: a feature view's own compiled SQL run per request, in process
(DuckDB), over the fields the caller sends (docs/request-time.md).

- ``inputs``: the declared request fields, checked and coerced to Arrow columns;
- ``rules``: what SQL can run this way (``featureops validate`` reports the rest);
- ``executor``: the in-process DuckDB session with the view's lookups copied in;
- ``lookups``: loading those lookups (seeds) from the warehouse, and noticing rebuilds.
"""

from featureops.request_time.errors import RequestFieldError, RequestTimeError

__all__ = ["RequestFieldError", "RequestTimeError"]
