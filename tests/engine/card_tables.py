"""The code that makes each newer op's backward node, and the words its card uses around its
symbols, gathered from the op test modules for ``test_step_card_names``."""

from __future__ import annotations

from tests.engine.test_linalg_ops import CARD_PROGRAMS as LINALG_PROGRAMS
from tests.engine.test_linalg_ops import CARD_WORDS as LINALG_WORDS
from tests.engine.test_selection_ops import CARD_PROGRAMS as SELECTION_PROGRAMS
from tests.engine.test_selection_ops import CARD_WORDS as SELECTION_WORDS

CARD_PROGRAMS = {**LINALG_PROGRAMS, **SELECTION_PROGRAMS,
                 "MaskedFill": "B.masked_fill(B > 3, 0.)"}
CARD_WORDS = (*LINALG_WORDS, *SELECTION_WORDS)
#: Placeholders every rule may use besides its symbols: each input of a node of many, its
#: position, and the outputs of a factorization (``{out0}``: Q of ``Q, R = qr(A)``).
KNOWN = frozenset({"each", "k", "out0", "out1", "out2"})
