"""A module of webapp 'libapp' that hello.py imports absolutely."""

NAME = "libapp"
