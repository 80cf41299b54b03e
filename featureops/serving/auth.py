"""Bearer-token auth for the feature server, reusable by routers added to the app
(``POST /push/{view}``): ``Depends(require_token)``.

Auth is on when tokens are configured (``FEATUREOPS_SERVE_TOKEN``) and off otherwise;
``featureops serve`` refuses to listen beyond loopback without a token.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def token_matches(presented: str, tokens: tuple[str, ...]) -> bool:
    """Constant-time comparison against every accepted token."""
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(presented.encode(), token.encode())
    return matched


def authorized(request: Request) -> bool:
    """Whether the request may see what auth protects (always, with auth off)."""
    try:
        check_token(request.headers.get("authorization", ""), request.app.state.tokens)
    except HTTPException:
        return False
    return True


async def require_token(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries an accepted bearer token.
    A coroutine, so FastAPI runs it on the event loop: a plain function would be sent to
    its thread pool, a thread hop on every request (a third of /features's time)."""
    check_token(request.headers.get("authorization", ""), request.app.state.tokens)


def check_token(authorization: str, tokens: tuple[str, ...]) -> None:
    """401 (HTTPException) unless ``authorization`` (the header's value) carries one of
    ``tokens``; nothing to check when there are none (auth off)."""
    if not tokens:
        return
    scheme, _, presented = authorization.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            detail="missing bearer token: send 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if not token_matches(presented, tokens):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
