"""Start-up cost: ``import payproc`` and ``payproc backends`` in a venv with
all four plugins installed vs one with only the fake, and which modules
``import payproc`` loads.

The venvs are built once (``ensure_venvs``) and this checkout's distributions
are reinstalled into them on every run the way users install them: regular
(non-editable) installs, which pip byte-compiles. The timed interpreters run
without ``PYTHONDONTWRITEBYTECODE`` (set on these machines) so they use that
bytecode, as an installed application does. Each measurement is a fresh
interpreter; runs alternate between the two venvs so machine noise hits both
alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import summary

ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = Path(os.environ.get("PAYPROC_BENCH_VENV_DIR", "/work"))
VENVS = {"one": VENV_DIR / "bench-venv-one", "all": VENV_DIR / "bench-venv-all"}
PLUGINS = {"one": ["fake"], "all": ["fake", "stripe", "razorpay", "flutterwave"]}
SDKS = ("stripe", "razorpay", "rave_python", "requests", "httpx", "sqlalchemy", "pluggy", "pydantic",
        "pydantic_settings", "tqdm", "starlette", "django", "payproc_fake", "payproc_stripe")


#: The environment of the timed interpreters: bytecode is read as installed.
TIMED_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def ensure_venvs() -> None:
    for name, path in VENVS.items():
        if not (path / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        packages = [str(ROOT / "core")] + [str(ROOT / "plugins" / f"payproc-{p}") for p in PLUGINS[name]]
        pip = [str(path / "bin" / "pip"), "install", "-q"]
        subprocess.run([*pip, *packages], check=True)  # dependencies
        subprocess.run([*pip, "--force-reinstall", "--no-deps", *packages], check=True, env=TIMED_ENV)


def _time(cmd: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=TIMED_ENV)
    return time.perf_counter() - began


def modules_loaded(venv: Path) -> dict[str, Any]:
    code = ("import sys; before=set(sys.modules); import payproc; "
            "import json; print(json.dumps(sorted(set(sys.modules)-before)))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True)
    loaded = json.loads(out.stdout)
    tops = sorted({m.split(".")[0] for m in loaded})
    return {"count": len(loaded), "top_level": tops,
            "sdk_or_heavy_loaded": [m for m in SDKS if m in tops]}


def run(repeats: int = 15) -> dict[str, Any]:
    ensure_venvs()
    commands = {
        "import payproc": lambda v: [str(v / "bin" / "python"), "-c", "import payproc"],
        "payproc backends": lambda v: [str(v / "bin" / "payproc"), "backends"],
        "python (baseline)": lambda v: [str(v / "bin" / "python"), "-c", "pass"],
    }
    times: dict[str, dict[str, list[float]]] = {c: {"one": [], "all": []} for c in commands}
    for i in range(repeats + 1):
        for label, cmd in commands.items():
            for name in ("one", "all") if i % 2 else ("all", "one"):
                took = _time(cmd(VENVS[name]))
                if i:  # the first round warms the file cache
                    times[label][name].append(took)
    result: dict[str, Any] = {}
    for label, per in times.items():
        one, every = summary(per["one"]), summary(per["all"])
        result[label] = {"one_plugin_ms": round(one["median"] * 1000, 1), "four_plugins_ms": round(every["median"] * 1000, 1),
                         "ratio_all_over_one": round(every["median"] / one["median"], 3),
                         "spread_one": round(one["spread"], 3), "spread_all": round(every["spread"], 3)}
    result["modules"] = {name: modules_loaded(path) for name, path in VENVS.items()}
    return result
