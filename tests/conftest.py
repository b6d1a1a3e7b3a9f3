import pytest

from tests.oracle.client import LayerOracle, require_tensorflow


@pytest.fixture(scope="session")
def layer_oracle():
    """A warm TensorFlow process that builds single layers on symbolic inputs."""
    require_tensorflow()
    oracle = LayerOracle()
    yield oracle
    oracle.close()


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    """Every test that uses the warm TensorFlow layer oracle needs TensorFlow: mark it `tf`
    (the per-family tests/core/rules/*_diff.py tests get the marker this way)."""
    for item in items:
        if "layer_oracle" in getattr(item, "fixturenames", ()) and item.get_closest_marker("tf") is None:
            item.add_marker(pytest.mark.tf)
