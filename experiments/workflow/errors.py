"""One-line error reports for the entry points.

Bad input (an unknown strategy, a typo in a key, a wrong type, a value out of range, a
missing data file) is reported as one line naming the key and what is allowed, with exit
status 2 and no traceback. Set ``HYDRA_FULL_ERROR=1`` (or ``SIM_TRACEBACK=1``) to get the
full traceback instead.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hydra.errors import HydraException, MissingConfigException
from omegaconf.errors import OmegaConfBaseException

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2


def traceback_requested() -> bool:
    return any(
        os.environ.get(v, "") not in ("", "0") for v in ("HYDRA_FULL_ERROR", "SIM_TRACEBACK")
    )


def _schema_keys(full_key: str) -> list[str] | None:
    """Keys allowed next to ``full_key``'s last component, read from the schema."""
    from experiments.workflow.config import ExperimentConf

    node: Any = ExperimentConf
    for part in full_key.split(".")[:-1]:
        if not dataclasses.is_dataclass(node):
            return None
        node = typing.get_type_hints(node).get(part)
        if node is None:
            return None
        origin = typing.get_origin(node)
        if origin is dict:  # dict[str, X]: any key, then X
            return None
    if not dataclasses.is_dataclass(node):
        return None
    return [f.name for f in dataclasses.fields(node)]


def _first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def one_line(exc: BaseException) -> str:
    """A one-line description of a bad-input error, naming the key and what is allowed."""
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file:
        group, _, name = exc.missing_cfg_file.rpartition("/")
        if exc.options:
            return f"{group}: unknown option {name!r}; allowed: {', '.join(exc.options)}"
        return f"{exc.missing_cfg_file}: config file not found"
    cause = exc.__cause__ if isinstance(exc, HydraException) else exc
    if isinstance(cause, OmegaConfBaseException):
        key = getattr(cause, "full_key", None) or ""
        msg = _first_line(getattr(cause, "msg", None) or str(cause))
        if (
            "not in struct" in msg
            or "Missing key" in msg
            or type(cause).__name__ in ("ConfigAttributeError", "ConfigKeyError")
        ):
            allowed = _schema_keys(key) if key else None
            hint = (
                f"; allowed: {', '.join(allowed)}"
                if allowed
                else ("; add a new key with +" + key + "=..." if key else "")
            )
            return f"{key or 'config'}: unknown key{hint}"
        if "Missing mandatory value" in msg:
            return f"{key}: missing value (required)"
        return f"{key}: {msg}" if key else msg
    text = _first_line(str(exc))
    return text or type(exc).__name__


BAD_INPUT = (ValueError, OmegaConfBaseException, HydraException, FileNotFoundError)


@contextmanager
def reporting(prefix: str = "error") -> Iterator[None]:
    """Turn bad-input exceptions into a one-line message on stderr and exit status 2."""
    try:
        yield
    except BAD_INPUT as exc:
        if traceback_requested():
            raise
        sys.stderr.write(f"{prefix}: {one_line(exc)}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_BAD_INPUT) from None


def run_cli(
    precheck: Callable[[Sequence[str]], None],
    task: Callable[[], None],
    argv: Sequence[str] | None = None,
) -> None:
    """Entry point of a Hydra app: check the overrides first (bad input is reported in one
    line before Hydra creates any folder), then hand the same arguments to Hydra."""
    args = list(sys.argv[1:] if argv is None else argv)
    with reporting():
        precheck(args)
    sys.argv = [sys.argv[0], *args]
    task()
