"""The storage conformance suite, run on every backend in ``conformance.BACKENDS``."""

from tests.checkpoint.conformance import *  # noqa: F403  (the promises and their fixtures)
