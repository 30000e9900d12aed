"""docs/trace.md documents every event of the stream, with every field."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import catalina_py.events as events

DOC = (Path(__file__).resolve().parents[2] / "docs" / "trace.md").read_text()
ABSTRACT = {"Event", "FrameEvent", "MessageEvent"}


def concrete_events() -> list[type]:
    found = []
    for name in events.__all__:
        value = getattr(events, name)
        if isinstance(value, type) and dataclasses.is_dataclass(value) and name not in ABSTRACT:
            found.append(value)
    return found


def test_every_event_has_its_section_with_its_fields() -> None:
    assert len(concrete_events()) >= 25
    for cls in concrete_events():
        match = re.search(rf"^### `{cls.__name__}`\n(.*?)(?=^#)", DOC + "\n#", re.S | re.M)
        assert match is not None, f"docs/trace.md has no section for {cls.__name__}"
        section = match.group(1)
        for field in dataclasses.fields(cls):
            if field.name not in ("connection", "at"):
                assert f"`{field.name}`" in section, f"{cls.__name__}.{field.name} is not documented"
