"""A module of webapp 'two' that hello.py imports absolutely."""

NAME = "two"
