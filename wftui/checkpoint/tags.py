"""The reserved keys of typed JSON."""

TAG = "$t"
UNSET = "$unset"  # a model's fields the user never set, so ``exclude_unset`` survives a round trip
