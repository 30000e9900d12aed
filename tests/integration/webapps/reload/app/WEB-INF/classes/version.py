"""The webapp's version: tests rewrite this file to reload it."""

VERSION = "1"
