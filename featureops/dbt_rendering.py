"""Jinja rendering of YAML values the way dbt renders profiles.yml: each string value on its
own (never the file as text), with ``env_var()`` and the ``as_text``/``as_bool``/
``as_number``/``as_native`` filters.

A value that renders to plain text stays text (``"{{ env_var('PORT') }}"`` is ``'5432'``);
a filter marks the result for conversion to a Python value (``| as_number`` gives ``5432``),
as dbt's native rendering does. Keys and non-string values are left as they are.
"""

from __future__ import annotations

import os
from ast import literal_eval
from collections.abc import Callable, Iterable, Mapping
from itertools import chain, islice
from typing import Any

import jinja2
import jinja2.nativetypes
import jinja2.sandbox


class RenderError(Exception):
    """A value cannot be rendered; the message names what is wrong (not where)."""


class _Marker(str):
    """Rendered text to be turned into a Python value (the filters' output)."""


class _Text(_Marker):
    pass


class _Bool(_Marker):
    pass


class _Number(_Marker):
    pass


class _Native(_Marker):
    pass


def _native_concat(values: Iterable[Any]) -> Any:
    """dbt's rule: one marked node becomes its Python literal, anything else stays as is
    (several nodes are joined into text)."""
    head = list(islice(values, 2))
    if not head:
        return ""
    if len(head) > 1:
        return "".join(str(value) for value in chain(head, values))
    raw = head[0]
    if isinstance(raw, jinja2.Undefined):
        str(raw)  # raises UndefinedError, naming the undefined name
    if isinstance(raw, _Text):
        return str(raw)
    if not isinstance(raw, _Marker):
        return raw
    try:
        result = literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError):
        result = str(raw)
    if isinstance(raw, _Bool) and not isinstance(result, bool):
        raise RenderError(f"could not convert value '{raw}' into type 'bool'")
    if isinstance(raw, _Number) and (isinstance(result, bool)
                                     or not isinstance(result, (int, float))):
        raise RenderError(f"could not convert value '{raw}' into type 'number'")
    return result


class _Environment(jinja2.sandbox.SandboxedEnvironment):
    code_generator_class = jinja2.nativetypes.NativeCodeGenerator
    concat = staticmethod(_native_concat)  # type: ignore[assignment]


class _Template(jinja2.nativetypes.NativeTemplate):
    environment_class = _Environment  # type: ignore[assignment]


_Environment.template_class = _Template


def env_var(environ: Mapping[str, str]) -> Callable[..., str]:
    def lookup(name: str, default: Any = None) -> str:
        if name in environ:
            return environ[name]
        if default is not None:
            return str(default)
        raise RenderError(f"env var required but not provided: '{name}'")

    return lookup


class ValueRenderer:
    """Renders the string values of parsed YAML with dbt's profile context."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._env = _Environment(undefined=jinja2.StrictUndefined)
        self._env.globals["env_var"] = env_var(os.environ if environ is None else environ)
        self._env.filters.update(as_text=_Text, as_bool=_Bool, as_number=_Number,
                                 as_native=_Native)

    def render_value(self, value: Any) -> Any:
        """One value; strings are rendered, everything else is returned unchanged."""
        if not isinstance(value, str):
            return value
        try:
            return self._env.from_string(value).render()
        except RenderError:
            raise
        except jinja2.TemplateError as error:
            raise RenderError(f"could not render {value!r}: {error.message}") from None

    def render_data(self, data: Any, path: tuple[str, ...] = ()) -> Any:
        """Every string value inside ``data`` (mappings and lists, recursively); a failure
        names the key path (``outputs.dev.port``)."""
        if isinstance(data, Mapping):
            return {key: self.render_data(value, (*path, str(key)))
                    for key, value in data.items()}
        if isinstance(data, list):
            return [self.render_data(item, (*path, str(index)))
                    for index, item in enumerate(data)]
        try:
            return self.render_value(data)
        except RenderError as error:
            raise RenderError(f"{'.'.join(path) or 'value'}: {error}") from None
