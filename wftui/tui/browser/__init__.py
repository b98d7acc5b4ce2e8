"""The checkpoint browser's Textual-free parts: the tree of runs and branches, and its row text."""
