"""docs/settings.md is generated from the settings model: every setting, described, in the model's sections."""

from __future__ import annotations

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings

from shared.settings import VtnSettings
from shared.settings_doc import DOCUMENT_PATH, render, sections


def test_regenerating_the_settings_page_yields_no_diff() -> None:
    assert DOCUMENT_PATH.read_text() == render(), "run: python -m shared.settings_doc"


def test_every_setting_has_a_description() -> None:
    assert [name for name, info in VtnSettings.model_fields.items() if not (info.description or "").strip()] == []


def test_every_setting_is_on_the_page_once_with_its_variable() -> None:
    page = render()
    for name in VtnSettings.model_fields:
        assert page.count(f"| `VTN_{name.upper()}` |") == 1, name


def test_the_page_follows_the_model_sections_in_order() -> None:
    found = sections()
    assert [s.heading for s in found][:2] == ["General", "Gateway"]
    assert "Operations" in [s.heading for s in found]
    assert "Security profile" in [s.heading for s in found]
    assert [name for s in found for name in s.names] == list(VtnSettings.model_fields)
    page = render()
    positions = [page.index(f"\n## {s.heading}\n") for s in found]
    assert positions == sorted(positions)


class _Sectioned(BaseSettings):
    first: int = Field(default=1, description="The first.")

    # Tuning: knobs for the example
    speed: float = Field(default=2.5, gt=0, description="How fast.")
    # a remark inside the section, not a new one
    mode: str = Field(default="", description="Which mode.")


def test_a_comment_after_a_blank_line_opens_a_section_and_others_do_not() -> None:
    found = sections(_Sectioned)
    assert [(s.heading, s.summary, s.names) for s in found] == [
        ("General", "", ["first"]),
        ("Tuning", "knobs for the example", ["speed", "mode"]),
    ]
    page = render(_Sectioned)
    assert "| `VTN_SPEED` | `2.5` | How fast. Must be > 0. |" in page
    assert "| `VTN_MODE` | empty | Which mode. |" in page


class _Undescribed(BaseSettings):
    # General
    silent: int = 3


def test_a_setting_without_a_description_stops_the_generator() -> None:
    with pytest.raises(ValueError, match="description"):
        render(_Undescribed)
