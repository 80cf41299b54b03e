"""Delivering one alert message to one channel, with the standard library only: a POST
with urllib (webhook, Slack) or a program with the JSON body on its stdin (command).

Each attempt has a timeout; a failure that may pass (a timeout, a refused connection, HTTP
429 or 5xx, a command's non-zero exit) is retried after a backoff that doubles. What
cannot pass (a missing environment variable, HTTP 4xx, no such program) is not. Errors are
one line and never contain the URL: it is a secret (a Slack webhook URL is its own token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from featureops.alerts.config import CommandChannel, SlackChannel, WebhookChannel
from featureops.alerts.messages import AlertMessage, slack_body

SIGNATURE_HEADER = "X-Featureops-Signature-256"
#: Longest Retry-After waited for (a longer one is cut to this: a run must end).
MAX_RETRY_AFTER = 30.0


class DeliveryError(Exception):
    """The message did not arrive; ``str()`` is one line."""


@dataclass(frozen=True)
class Delivery:
    """How to send: timeout per attempt, retries, backoff (``sleep`` injectable)."""

    timeout: float = 5.0
    retries: int = 2
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    project_dir: Path = field(default_factory=Path.cwd)

    def send(self, channel: WebhookChannel | SlackChannel | CommandChannel,
             message: AlertMessage) -> None:
        """Deliver or raise DeliveryError."""
        if isinstance(channel, CommandChannel):
            self._retrying(lambda: self._run(channel, message))
            return
        body = message.to_dict() if isinstance(channel, WebhookChannel) else slack_body(message)
        data = json.dumps(body).encode("utf-8")
        url = _env(channel.url_env)
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise DeliveryError(f"${channel.url_env} is not an http(s) URL")
        headers = {"Content-Type": "application/json", "User-Agent": "featureops-alerts"}
        if isinstance(channel, WebhookChannel):
            headers.update({name: _env(env) for name, env in channel.headers_env.items()})
            if channel.secret_env:
                digest = hmac.new(_env(channel.secret_env).encode("utf-8"), data,
                                  hashlib.sha256).hexdigest()
                headers[SIGNATURE_HEADER] = f"sha256={digest}"
        self._retrying(lambda: self._post(url, data, headers))

    def _retrying(self, attempt: Callable[[], None]) -> None:
        """Run ``attempt`` until it passes; it raises _Retry(reason, wait) when it may."""
        for number in range(self.retries + 1):
            try:
                attempt()
                return
            except _Retry as retry:
                if number == self.retries:
                    tries = f" after {number + 1} attempts" if number else ""
                    raise DeliveryError(f"{retry.reason}{tries}") from None
                self.sleep(retry.wait if retry.wait is not None
                           else self.backoff * 2 ** number)

    def _post(self, url: str, data: bytes, headers: dict[str, str]) -> None:
        request = Request(url, data=data, headers=headers, method="POST")
        try:
            with urlopen(request, timeout=self.timeout) as response:
                response.read()
        except HTTPError as error:
            reason = f"HTTP {error.code} {error.reason}"
            if error.code in (408, 425, 429) or error.code >= 500:
                raise _Retry(reason, _retry_after(error.headers.get("Retry-After"))) from None
            raise DeliveryError(reason) from None
        except URLError as error:
            raise _Retry(str(error.reason)) from None
        except (OSError, ValueError) as error:  # timeouts, resets, malformed URLs
            raise _Retry(str(error) or type(error).__name__) from None

    def _run(self, channel: CommandChannel, message: AlertMessage) -> None:
        env = {**os.environ, "FEATUREOPS_ALERT_STATUS": message.status,
               "FEATUREOPS_ALERT_LEVEL": message.level, "FEATUREOPS_ALERT_TABLE": message.table,
               "FEATUREOPS_ALERT_SOURCE": message.source}
        try:
            done = subprocess.run(channel.command, input=json.dumps(message.to_dict()).encode(),
                                  cwd=self.project_dir, env=env, capture_output=True,
                                  timeout=self.timeout, check=False)
        except (FileNotFoundError, PermissionError) as error:
            raise DeliveryError(f"cannot run {channel.command[0]}: {error.strerror}") from None
        except subprocess.TimeoutExpired:
            raise _Retry(f"{channel.command[0]} did not finish within {self.timeout:g}s") \
                from None
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise _Retry(f"{channel.command[0]} exited with {done.returncode}"
                         + (f": {said[-1]}" if said else ""))


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise DeliveryError(f"environment variable {name} is not set")
    return value


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:  # an HTTP date: fall back to the backoff
        return None
    return None if seconds is None or seconds < 0 else min(seconds, MAX_RETRY_AFTER)
