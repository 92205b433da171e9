"""The code that makes each newer op's backward node, and the words its card uses around its
symbols, gathered from the op test modules for ``test_step_card_names``."""

from __future__ import annotations

from tests.engine.test_linalg_ops import CARD_PROGRAMS as LINALG_PROGRAMS
from tests.engine.test_linalg_ops import CARD_WORDS as LINALG_WORDS
from tests.engine.test_selection_ops import CARD_PROGRAMS as SELECTION_PROGRAMS
from tests.engine.test_selection_ops import CARD_WORDS as SELECTION_WORDS

CARD_PROGRAMS = {**LINALG_PROGRAMS, **SELECTION_PROGRAMS}
CARD_WORDS = (*LINALG_WORDS, *SELECTION_WORDS)
