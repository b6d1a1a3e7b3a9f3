import pytest

from tests.oracle.client import LayerOracle, require_tensorflow


@pytest.fixture(scope="session")
def layer_oracle():
    """A warm TensorFlow process that builds single layers on symbolic inputs."""
    require_tensorflow()
    oracle = LayerOracle()
    yield oracle
    oracle.close()


def _mark_oracle_tests(items):
    """Every test that uses the warm TensorFlow layer oracle needs TensorFlow: mark it `tf`
    (the per-family tests/core/rules/*_diff.py tests get the marker this way)."""
    for item in items:
        if "layer_oracle" in getattr(item, "fixturenames", ()) and item.get_closest_marker("tf") is None:
            item.add_marker(pytest.mark.tf)


# The files that run the most TensorFlow, longest first. Under pytest-xdist (`-n 2 --dist
# loadfile`, the README's test command) a file runs whole on one worker, and files are handed
# out in collection order: starting the longest ones first keeps one of them from being the
# last thing a worker runs while the other worker idles. Order only; nothing is skipped.
HEAVY_FIRST = ("tests/test_programs_diff.py", "tests/test_precision_diff.py", "tests/test_robustness.py",
               "tests/core/test_keras2_diff.py", "tests/test_docs.py", "tests/lsp/test_configuration.py")


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    _mark_oracle_tests(items)
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
