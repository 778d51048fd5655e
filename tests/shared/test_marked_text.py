"""A text made once with marks, filled in per reader (shared.marked_text)."""

from __future__ import annotations

from shared.marked_text import MarkedText

MARKS = {"ven": "\ue000v\ue000", "request": "\ue000r\ue000"}


def test_each_mark_is_replaced_by_its_value_in_place() -> None:
    text = "<a>\ue000v\ue000</a><b>\ue000r\ue000</b><c>\ue000v\ue000</c>"
    marked = MarkedText.cut(text, MARKS, {"ven": 2, "request": 1})
    assert marked is not None
    assert marked.fill({"ven": "V", "request": "R"}) == "<a>V</a><b>R</b><c>V</c>"


def test_a_text_with_a_mark_more_or_less_often_than_expected_is_refused() -> None:
    assert MarkedText.cut("\ue000v\ue000 \ue000v\ue000 \ue000r\ue000", MARKS, {"ven": 1, "request": 1}) is None
    assert MarkedText.cut("\ue000v\ue000", MARKS, {"ven": 1, "request": 1}) is None


def test_a_text_without_marks_fills_to_itself() -> None:
    marked = MarkedText.cut("[]", MARKS, {})
    assert marked is not None and marked.fill({}) == "[]"
