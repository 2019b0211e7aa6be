"""The bureau of tests/syncapi (two departments, six inspectors, a drawn and issued task), reused
so a document is made from a record the phone really pushed and the server really checked."""

from tests.syncapi.conftest import device, drawn_task, scene  # noqa: F401 - the fixtures
from tests.syncapi.test_push import field  # noqa: F401 - the fixture
