"""The sample programme the demo runs, shipped inside the package so the demo works from anywhere.

``loyalty_connector/demo/loyalty.yaml`` is the one copy; the repository's ``examples/loyalty.yaml``
is a symbolic link to it (what the docs point at and ``rules validate`` is shown on). Read through
:mod:`importlib.resources`, so it is found in an installed wheel as well as in a source checkout,
whatever the current directory.
"""

from __future__ import annotations

__all__ = ["SAMPLE_PROGRAM", "sample_program", "sample_program_text"]

from importlib.resources import files

from ..program import Program, parse_program

_PACKAGE = "loyalty_connector.demo"
SAMPLE_PROGRAM = "loyalty.yaml"
"""The sample programme's file name among the package data of :mod:`loyalty_connector.demo`."""


def sample_program_text() -> str:
    """The sample programme file as written (comments included), e.g. to start a programme from."""
    return (files(_PACKAGE) / SAMPLE_PROGRAM).read_text(encoding="utf-8")


def sample_program() -> Program:
    """The sample programme, parsed and validated (its ``sources`` are the placeholders it ships with)."""
    return parse_program(sample_program_text(), file=str(files(_PACKAGE) / SAMPLE_PROGRAM))
