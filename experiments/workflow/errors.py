"""Typed bad-input errors and their one-line reports.

The conversion layer raises :class:`ConfigError` (the config key, what is wrong, what is
allowed) and re-raises ``sim``'s validation errors as ``ConfigError`` (:func:`sim_errors`).
:func:`reporting` turns them, and Hydra's and OmegaConf's composition errors, into one
line ``error: <key>: <what is wrong>; allowed: <...>`` on stderr with exit status 2 and no
traceback. Set ``HYDRA_FULL_ERROR=1`` (or ``SIM_TRACEBACK=1``) for the traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hydra.errors import HydraException, MissingConfigException
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    MissingMandatoryValue,
    OmegaConfBaseException,
)

EXIT_BAD_INPUT = 2

_KEY = re.compile(r"[A-Za-z_][\w\-\[\]]*(\.[\w\-\[\]]+)*")
"""What a config key looks like (``model.peer_weight``, ``countries.SG.democracy``)."""


class ConfigError(ValueError):
    """Bad input at config key ``key``: ``message`` says what is wrong; ``allowed`` lists
    the accepted values or keys, if there is such a list."""

    def __init__(self, key: str, message: str, allowed: Sequence[str] = ()) -> None:
        self.key = key
        self.message = message
        self.allowed = tuple(str(a) for a in allowed)
        super().__init__(self.line())

    def line(self) -> str:
        """``<key>: <message>[; allowed: a, b, ...]``."""
        text = f"{self.key}: {self.message}" if self.key else self.message
        return f"{text}; allowed: {', '.join(self.allowed)}" if self.allowed else text

    @classmethod
    def from_sim(cls, exc: ValueError, prefix: str = "", sim_root: str = "") -> ConfigError:
        """A ``ValueError`` of ``sim``'s validation as a ``ConfigError``.

        ``sim`` words its errors ``<field>: <what is wrong>``, its fields named like the
        config keys; ``prefix`` is the config key they sit under (e.g. ``sweep``), and
        ``sim_root`` a leading component of sim's field that ``prefix`` replaces (sim's
        ``votes.noise`` is the votes command's ``rule.noise``)."""
        text = _first_line(str(exc))
        field, sep, rest = text.partition(": ")
        if not (sep and _KEY.fullmatch(field)):
            return cls(prefix or "config", text)
        if sim_root and (field == sim_root or field.startswith(f"{sim_root}.")):
            field = field[len(sim_root) :].lstrip(".")
        return cls(".".join(k for k in (prefix, field) if k), rest)


@contextmanager
def sim_errors(prefix: str = "", sim_root: str = "") -> Iterator[None]:
    """Re-raise ``sim``'s ``ValueError`` raised in the block as a :class:`ConfigError`
    under config key ``prefix`` (see :meth:`ConfigError.from_sim`)."""
    try:
        yield
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError.from_sim(exc, prefix, sim_root) from exc


def traceback_requested() -> bool:
    return any(
        os.environ.get(v, "") not in ("", "0") for v in ("HYDRA_FULL_ERROR", "SIM_TRACEBACK")
    )


def _first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def omegaconf_message(exc: OmegaConfBaseException) -> str:
    """The first line of an OmegaConf error's message (without its key and type lines)."""
    return _first_line(getattr(exc, "msg", None) or str(exc))


def schema_keys(schema: type | None, full_key: str) -> list[str] | None:
    """Keys allowed beside ``full_key``'s last component, read from the dataclass schema."""
    node: Any = schema
    for part in full_key.split(".")[:-1]:
        if not dataclasses.is_dataclass(node):
            return None
        node = typing.get_type_hints(node).get(part)
        if node is None or typing.get_origin(node) is dict:  # dict[str, X]: any key
            return None
    if not dataclasses.is_dataclass(node):
        return None
    return [f.name for f in dataclasses.fields(node)]


def one_line(exc: BaseException, schema: type | None = None) -> str:
    """A one-line description of a bad-input error, naming the key and what is allowed.

    ``schema``: the dataclass schema of the composed config, which lists the keys allowed
    beside an unknown one."""
    if isinstance(exc, ConfigError):
        return exc.line()
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file:
        group, _, name = exc.missing_cfg_file.rpartition("/")
        if exc.options:
            return ConfigError(group, f"unknown option {name!r}", exc.options).line()
        return f"{exc.missing_cfg_file}: config file not found"
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else exc
    if isinstance(cause, OmegaConfBaseException):
        key = getattr(cause, "full_key", None) or ""
        if isinstance(cause, ConfigAttributeError | ConfigKeyError):
            allowed = schema_keys(schema, key) if key else None
            if allowed:
                return ConfigError(key, "unknown key", allowed).line()
            hint = f"; add a new key with +{key}=..." if key else ""
            return f"{key or 'config'}: unknown key{hint}"
        if isinstance(cause, MissingMandatoryValue):
            return f"{key}: missing value (required)"
        msg = omegaconf_message(cause)
        return f"{key}: {msg}" if key else msg
    return _first_line(str(exc)) or type(exc).__name__


BAD_INPUT = (ConfigError, OmegaConfBaseException, HydraException)
"""What counts as bad input: everything else is a bug and keeps its traceback."""


@contextmanager
def reporting(schema: type | None = None) -> Iterator[None]:
    """Turn bad-input exceptions into a one-line message on stderr and exit status 2."""
    try:
        yield
    except BAD_INPUT as exc:
        if traceback_requested():
            raise
        sys.stderr.write(f"error: {one_line(exc, schema)}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_BAD_INPUT) from None


class OneLineParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors are one line, ``error: <what>; see --help``,
    with exit status 2 (argparse's own prints the usage first)."""

    def error(self, message: str) -> typing.NoReturn:
        sys.stderr.write(f"error: {message}; see {self.prog} --help\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_BAD_INPUT)


def int_in(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type: an integer in ``[lo, hi]`` (no upper bound without ``hi``)."""

    def parse(text: str) -> int:
        allowed = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse
