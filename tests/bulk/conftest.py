from tests.remote.fixtures import *  # noqa: F403 - shared fixtures
