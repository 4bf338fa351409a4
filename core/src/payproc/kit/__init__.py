"""The kit for writing a new backend: ``payproc new-backend NAME``.

:func:`create_backend` writes a new distribution ``payproc-NAME`` from the
template in ``template/``: a pyproject with the entry point and the contract
range, a backend module with every hook documented (the first few written
against a placeholder JSON API), a settings model, a small fake of the
processor's server and tests wired to the conformance suite, which pass as
generated. Replace the placeholder API with the processor's, hook by hook,
keeping the suite green. See ``docs/writing-a-backend.md``.
"""

from __future__ import annotations

from .generate import create_backend, names_for

__all__ = ["create_backend", "names_for"]
