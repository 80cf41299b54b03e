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


def require_token(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries an accepted bearer token."""
    tokens: tuple[str, ...] = request.app.state.tokens
    if not tokens:
        return
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            detail="missing bearer token: send 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if not token_matches(presented.strip(), tokens):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
