import pytest

from tests.oracle.client import LayerOracle, require_tensorflow


@pytest.fixture(scope="session")
def layer_oracle():
    """A warm TensorFlow process that builds single layers on symbolic inputs."""
    require_tensorflow()
    oracle = LayerOracle()
    yield oracle
    oracle.close()
