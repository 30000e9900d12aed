"""A package of WEB-INF/lib (a folder), importable by libapp only."""

VALUE = "greeting-from-lib"
