"""``POST /features`` with ``"bundle": ID``: the bundle's features, in its order, refused
with 409 when the live definitions no longer match the bundle's (featureops.bundles.check),
and with the bundle's preprocessing applied when ``"preprocess": true``.

A bundle's check is a dict lookup on the event loop; reading a bundle, loading a changed
manifest and checking run on a worker thread, once per bundle, and again only when the
manifest file changed (looked at with one stat a second at most). The serving log gets
the values before preprocessing, in the bundle's order.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import HTTPException

from featureops.bundles.errors import BundleNotFoundError
from featureops.bundles.online import in_bundle_order, references
from featureops.exceptions import FeatureopsError

if TYPE_CHECKING:
    from featureops.bundles.bundle import Bundle
    from featureops.serving.app import ServingContext
    from featureops.serving.models import FeaturesRequest


async def checked_bundle(context: ServingContext, request: FeaturesRequest) -> Bundle:
    """The request's bundle, or 400 (also features/exposure), 404 (unknown), 409 (changed
    definitions, listing the features), 422 (a bundle that cannot be read)."""
    assert request.bundle is not None
    if request.features or request.service_name:
        raise HTTPException(400, detail="a request names a bundle or features/exposure, "
                                        "not both")
    checks = context.bundles
    checked = checks.cached(request.bundle)
    if checked is None:
        try:
            checked = await asyncio.to_thread(checks.get, request.bundle)
        except BundleNotFoundError as error:
            raise HTTPException(404, detail=str(error)) from None
        except FeatureopsError as error:  # unreadable or edited bundle, unusable manifest
            raise HTTPException(422, detail=str(error)) from None
    if checked.verdict:
        raise HTTPException(409, detail=str(checked.verdict.error(request.bundle)))
    return checked.bundle


async def answer_bundle(context: ServingContext, request: FeaturesRequest) -> bytes:
    from featureops.serving.features_path import encode_json, feast_shape
    from featureops.serving.log import next_request_id

    bundle = await checked_bundle(context, request)
    await context.client.plan_async(references(bundle), None)
    raw = await context.store_calls.lookup(lambda: context.client.get_online_columns_async(
        references(bundle), None, request.entities, request.as_of))
    context.metrics.count_columns(raw)
    request_id = next_request_id()
    answer = in_bundle_order(raw, bundle, request.preprocess)
    payload = encode_json(feast_shape(answer, request_id))
    if context.log is not None and context.log.sampled():
        # monitoring compares served values with training data: log them unprocessed
        logged = payload
        if request.preprocess:
            answer = in_bundle_order(raw, bundle, False)
            logged = encode_json(feast_shape(answer, request_id))
        context.log.submit(logged, answer)
    return payload
