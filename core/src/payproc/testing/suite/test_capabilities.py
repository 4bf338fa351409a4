"""A backend's declared capabilities are exactly its hookimpls (Omnipay's
"supports X implies X works", checked from both sides): declaring a hook it
lacks, or hiding one it has, fails. The harness's ``limitations`` name known
features: a misspelt one would skip nothing and say nothing."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..._version import CONTRACT_VERSION
from ...backend import backend_capabilities
from ...discovery import load_backend_class
from ...errors import NotSupportedError
from ...hookspecs import BACKEND_HOOKS
from ..requirements import FEATURES

__all__ = ["TestCapabilities"]


class TestCapabilities:
    def test_declared_capabilities_are_the_hookimpls(self, payproc_harness: Any) -> None:
        cls, _entry = load_backend_class(payproc_harness.backend)
        actual = backend_capabilities(cls)
        declared = frozenset(payproc_harness.capabilities)
        unknown = declared - set(BACKEND_HOOKS)
        lacking = declared - actual - unknown
        hidden = actual - declared
        problems = []
        if unknown:
            problems.append(f"declares hooks that are not in the contract: {sorted(unknown)}")
        if lacking:
            problems.append(f"declares capabilities it does not implement: {sorted(lacking)}")
        if hidden:
            problems.append(f"implements hooks it does not declare (their tests would be skipped): {sorted(hidden)}")
        assert not problems, f"backend {payproc_harness.backend!r} " + "; ".join(problems)

    def test_unsupported_reasons_name_missing_hooks(self, payproc_harness: Any) -> None:
        cls, _entry = load_backend_class(payproc_harness.backend)
        reasons = getattr(cls, "unsupported", None) or {}
        assert set(reasons) <= set(BACKEND_HOOKS), f"'unsupported' names unknown hooks: {set(reasons) - set(BACKEND_HOOKS)}"
        implemented = set(reasons) & backend_capabilities(cls)
        assert not implemented, f"'unsupported' lists hooks the backend implements: {sorted(implemented)}"
        assert all(isinstance(why, str) and why.strip() for why in reasons.values()), "every reason must be a sentence"

    def test_limitations_name_known_features(self, payproc_harness: Any) -> None:
        import difflib

        limitations = getattr(payproc_harness, "limitations", None) or {}
        problems = []
        for feature in sorted(set(limitations) - set(FEATURES)):
            close = difflib.get_close_matches(feature, list(FEATURES), n=1)
            problems.append(f"{feature!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        assert not problems, (
            f"the harness's limitations name unknown features: {', '.join(problems)}; "
            f"known: {', '.join(sorted(FEATURES))}")
        unexplained = sorted(name for name, why in limitations.items() if not (isinstance(why, str) and why.strip()))
        assert not unexplained, f"every limitation needs its reason (a sentence): {unexplained}"

    def test_contract_range_accepts_this_core(self, payproc_harness: Any) -> None:
        cls, _entry = load_backend_class(payproc_harness.backend)
        contract = getattr(cls, "contract", None)
        assert contract, "the backend class declares no 'contract' range (e.g. '>=1.0,<2')"
        assert Version(CONTRACT_VERSION) in SpecifierSet(contract)

    def test_undeclared_operations_are_refused_by_name(self, payproc_app: Any, payproc_harness: Any) -> None:
        backend = payproc_app.backend
        assert backend.capabilities == backend_capabilities(backend.backend_cls)
        missing = [hook for hook in BACKEND_HOOKS if hook not in backend.capabilities
                   and hook not in ("settings_model", "configure", "browser_integration")]
        for hook in missing:
            with pytest.raises(NotSupportedError) as caught:
                backend.call(hook)
            assert backend.name in str(caught.value) and hook in str(caught.value)
