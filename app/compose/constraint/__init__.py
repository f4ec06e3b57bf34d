"""Strict-metre decoding: the automaton of a form (or of a couplet's 下联), its vocabulary
masks, the token loop and grammars for remote servers.
"""

from app.compose.constraint.couplet import couplet_spec
from app.compose.constraint.decoder import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    THINK_CLOSE,
    ConstraintFactory,
    Phase,
    Piece,
    TokenConstraint,
    Tokenize,
    build_constraint,
    build_token_source,
    default_cache_dir,
    factory_for,
)
from app.compose.constraint.spec import metre_spec

__all__ = [
    "ANSWER_CLOSE",
    "ANSWER_OPEN",
    "THINK_CLOSE",
    "ConstraintFactory",
    "Phase",
    "Piece",
    "TokenConstraint",
    "Tokenize",
    "build_constraint",
    "build_token_source",
    "couplet_spec",
    "default_cache_dir",
    "factory_for",
    "metre_spec",
]
