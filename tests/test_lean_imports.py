"""A web process does not load the libraries only some requests need: pypinyin's dictionaries
(naming a page), trafilatura (reading a news page) and openpyxl (writing a workbook) took
~58, ~31 and ~27 MB in every granian worker before they were imported where they are used."""

import os
import subprocess
import sys

from django.conf import settings

ON_DEMAND = ("pypinyin", "trafilatura", "openpyxl")


def test_the_production_application_loads_no_on_demand_library(tmp_path):
    script = (
        "import sys\n"
        "import weizhi.rsgi\n"
        "from django.urls import resolve\n"
        "resolve('/healthz')\n"  # the first request loads every URLconf and its views
        "from django.template import engines\n"
        "engines['django']\n"  # and the first page every app's template tag library
        f"print(','.join(m for m in {ON_DEMAND!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "WEIZHI_VAR_DIR": str(tmp_path), "SECRET_KEY": "lean-imports-test"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
