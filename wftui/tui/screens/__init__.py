"""Screens of the wftui app: the main layout and its dialogs."""
