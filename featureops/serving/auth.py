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


def presented_token(request: Request) -> str | None:
    """The bearer token of the request, if it carries one."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    return presented if scheme.lower() == "bearer" and presented else None


def authorized(request: Request) -> bool:
    """Whether the request may see what auth protects (always, with auth off)."""
    tokens: tuple[str, ...] = request.app.state.tokens
    if not tokens:
        return True
    presented = presented_token(request)
    return presented is not None and token_matches(presented, tokens)


async def require_token(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries an accepted bearer token.
    A coroutine, so FastAPI runs it on the event loop: a plain function would be sent to
    its thread pool, a thread hop on every request (a third of /features's time)."""
    tokens: tuple[str, ...] = request.app.state.tokens
    if not tokens:
        return
    presented = presented_token(request)
    if presented is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            detail="missing bearer token: send 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if not token_matches(presented, tokens):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
