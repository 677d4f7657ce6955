"""A web process's start-up objects are out of the garbage collector's full walks.

Each entry point granian serves is imported in a fresh process, as a granian worker imports
it: afterwards the objects built while starting (Django, Wagtail, weizhi, the URL patterns)
must be frozen, and a full collection must walk only a small remainder of them.
"""

import json

import pytest

from tests.base import embedded_env, output_of, python_process

SCRIPT = """
import gc, importlib, json, sys
from django.urls import get_resolver
importlib.import_module(sys.argv[1])
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "walked": len(gc.get_objects()),
    "urls_built": get_resolver()._populated,
}))
"""


@pytest.mark.parametrize("entry", ["weizhi.wsgi", "weizhi.rsgi"])
def test_serving_a_process_freezes_what_it_built_while_starting(tmp_path, entry):
    env = embedded_env(tmp_path, TASKS_BACKEND="db")
    found = json.loads(output_of(python_process("-c", SCRIPT, entry, env=env)).splitlines()[-1])
    assert found["urls_built"]  # built before the freeze, so frozen with the rest
    assert found["frozen"] > 50_000
    assert found["walked"] < found["frozen"] / 20
