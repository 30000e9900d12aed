"""A module of webapp 'one' that hello.py imports absolutely."""

NAME = "one"
