"""Render featureops's dbt macros from Python, so the SQL of a training set or a leakage
check is written once, in the featureops dbt package, and run by dbt and by featureops alike.

For a project, the macros rendered are the ones it was built with: dbt copies every
installed macro's SQL into manifest.json (:meth:`MacroSource.from_manifest`), wherever
the package was installed from. The package shipped in the wheel
(:meth:`MacroSource.shipped`) serves tests and manifests built without it.

This is a minimal stand-in for dbt's jinja context, enough for our own macros:
``adapter.dispatch`` (``<adapter>__name`` else ``default__name``), ``adapter.quote``,
``return()``, ``exceptions.raise_compiler_error``, ``modules.re``, ``execute``, ``ref``,
``graph`` and the ``featureops.`` namespace. ``{% test %}`` blocks are read as the
``test_<name>`` macros dbt makes of them. See docs/decisions/0010-one-point-in-time-join.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from featureops.engines.base import quote_identifier, quote_spark
from featureops.manifest import Manifest
from featureops.offline.errors import MacroRenderError
from featureops.package import PACKAGE_NAME, package_dir, require_package_macros

NAMESPACE = PACKAGE_NAME
#: Macro folders of the package the offline side renders (the rest needs dbt itself).
MACRO_FOLDERS = ("cross_db", "training")
_TEST_BLOCK = re.compile(r"{%(-?)\s*test\s+(\w+)\s*\(")
_END_TEST = re.compile(r"{%(-?)\s*endtest\s*(-?)%}")
_MACRO_NAME = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")


@dataclass(frozen=True)
class MacroSource:
    """The SQL of the macros to render: (where it came from, text) pairs, and a label."""

    origin: str
    texts: tuple[tuple[str, str], ...]

    @classmethod
    def from_manifest(cls, manifest: Manifest,
                      folders: tuple[str, ...] = MACRO_FOLDERS) -> MacroSource:
        """The featureops package macros the project was built with (of ``folders``)."""
        wanted = tuple(f"macros/{folder}/" for folder in folders)
        texts = tuple((f"{manifest.path}: {macro.unique_id}", macro.sql)
                      for macro in require_package_macros(manifest)
                      if macro.path.startswith(wanted))
        return cls(f"{manifest.path} (featureops dbt package)", texts)

    @classmethod
    def from_directory(cls, macro_dir: Path,
                       folders: tuple[str, ...] = MACRO_FOLDERS) -> MacroSource:
        """Every macro file of the package's ``folders`` under ``macro_dir``."""
        directories = [macro_dir / folder for folder in folders]
        missing = [str(folder) for folder in directories if not folder.is_dir()]
        if missing:
            raise MacroRenderError(f"featureops's dbt macros are not at {', '.join(missing)}")
        paths = sorted(path for folder in directories for path in folder.glob("*.sql"))
        return cls(str(macro_dir), tuple((str(p), p.read_text(encoding="utf-8"))
                                         for p in paths))

    @classmethod
    def shipped(cls, folders: tuple[str, ...] = MACRO_FOLDERS) -> MacroSource:
        """The dbt package shipped in this wheel (tests, manifests built without it)."""
        return cls.from_directory(package_dir() / "macros", folders)


class _MacroReturn(Exception):  # noqa: N818 - dbt's name for the same control flow
    def __init__(self, value: Any) -> None:
        self.value = value


def _return(value: Any) -> None:
    raise _MacroReturn(value)


class _Adapter:
    def __init__(self, renderer: MacroRenderer) -> None:
        self._renderer = renderer

    def dispatch(self, name: str, namespace: str = NAMESPACE) -> Callable[..., Any]:
        for candidate in (f"{self._renderer.adapter_type}__{name}", f"default__{name}"):
            if candidate in self._renderer.macros:
                return self._renderer.macro(candidate)
        raise MacroRenderError(f"no implementation of macro '{namespace}.{name}' for "
                               f"{self._renderer.adapter_type} (looked for {candidate!r})")

    def quote(self, name: str) -> str:
        if self._renderer.adapter_type == "spark":
            return quote_spark(name)
        return quote_identifier(name)

    def type(self) -> str:
        return self._renderer.adapter_type


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise MacroRenderError(str(message))


class _Namespace:
    def __init__(self, renderer: MacroRenderer) -> None:
        self._renderer = renderer

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return self._renderer.macro(name)


class _Modules:
    re = re


class _Dbt:
    """dbt's own cross-database macros that featureops macros call."""

    def __init__(self, renderer: MacroRenderer) -> None:
        self._renderer = renderer

    def type_string(self) -> str:
        return {"postgres": "text", "spark": "string"}.get(self._renderer.adapter_type,
                                                           "varchar")


class MacroRenderer:
    """The featureops macros of one dbt project, callable from Python for one adapter."""

    def __init__(self, adapter_type: str, *, source: MacroSource | None = None,
                 graph: Mapping[str, Any] | None = None,
                 ref: Callable[..., str] | None = None) -> None:
        self.adapter_type = adapter_type
        self.source = source or MacroSource.shipped()
        env = jinja2.Environment(extensions=["jinja2.ext.do"], keep_trailing_newline=True)
        env.globals.update(
            adapter=_Adapter(self), exceptions=_Exceptions(), modules=_Modules(), dbt=_Dbt(self),
            featureops=_Namespace(self), execute=True, graph=graph or {"nodes": {},
                                                                          "exposures": {}},
            ref=ref or _no_ref,
        )
        env.globals["return"] = _return
        self.macros = _LazyMacros(env, self.source.texts)

    def macro(self, name: str) -> Callable[..., Any]:
        """The macro as dbt calls it: its `return()` value, else its rendered text."""
        try:
            macro = self.macros[name]
        except KeyError:
            raise MacroRenderError(f"no macro '{NAMESPACE}.{name}' in {self.source.origin}"
                                   ) from None

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return macro(*args, **kwargs)
            except _MacroReturn as returned:
                return returned.value

        return call

    def render(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.macro(name)(*args, **kwargs)


class _LazyMacros(Mapping[str, Any]):
    """Macros by name, each file compiled the first time one of its macros is wanted:
    compiling all of them took 0.3-0.7 s of every training set; one needs a few."""

    def __init__(self, env: jinja2.Environment, texts: tuple[tuple[str, str], ...]) -> None:
        self._env = env
        self._texts: list[tuple[str, str] | None] = []
        self._where: dict[str, int] = {}  # macro name -> index of its file in _texts
        self._compiled: dict[str, Any] = {}
        for origin, text in texts:
            text = _END_TEST.sub(r"{%\1 endmacro \2%}",
                                 _TEST_BLOCK.sub(r"{%\1 macro test_\2(", text))
            for name in _MACRO_NAME.findall(text):
                self._where[name] = len(self._texts)
            self._texts.append((origin, text))

    def __getitem__(self, name: str) -> Any:
        if name not in self._compiled and name in self._where:
            index = self._where[name]
            if self._texts[index] is not None:
                origin, text = self._texts[index]  # type: ignore[misc]
                self._texts[index] = None
                # A later file's macro of the same name wins, as when all were compiled.
                self._compiled.update(
                    (defined, macro) for defined, macro
                    in _defined_macros(self._env, text, origin).items()
                    if self._where.get(defined, index) == index)
        return self._compiled[name]

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def _defined_macros(env: jinja2.Environment, source: str, origin: str) -> dict[str, Any]:
    """Every macro a file defines, private ``_name`` ones included (jinja's module
    attributes leave those out, but featureops.<_name> calls them)."""
    try:
        template = env.from_string(source)
        context = template.new_context()
        for _ in template.root_render_func(context):
            pass
    except jinja2.TemplateError as error:
        raise MacroRenderError(f"{origin}: {error}") from None
    return {name: value for name, value in context.vars.items()
            if isinstance(value, jinja2.runtime.Macro)}


def _no_ref(name: str, version: Any = None) -> str:
    raise MacroRenderError(f"ref('{name}') needs a manifest to resolve against")
