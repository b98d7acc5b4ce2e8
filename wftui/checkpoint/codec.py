"""The names other packages import from the codec; it lives in registry, values and document."""

from wftui.checkpoint.document import (
    checkpoint_from_json,
    checkpoint_to_json,
    decode_checkpoint,
    parse_checkpoint,
)
from wftui.checkpoint.registry import register_type
from wftui.checkpoint.values import Encoded, decode_value, encode, encode_value, needs_decoding

__all__ = [
    "Encoded",
    "checkpoint_from_json",
    "checkpoint_to_json",
    "decode_checkpoint",
    "decode_value",
    "encode",
    "encode_value",
    "needs_decoding",
    "parse_checkpoint",
    "register_type",
]
