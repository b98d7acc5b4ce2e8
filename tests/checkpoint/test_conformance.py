"""The storage conformance suite, run on every backend in ``conformance.BACKENDS``: checkpoints,
run journals and cassettes."""

from tests.checkpoint.conformance import *  # noqa: F403  (the promises and their fixtures)
from tests.checkpoint.conformance_cassettes import *  # noqa: F403
from tests.checkpoint.conformance_journals import *  # noqa: F403
