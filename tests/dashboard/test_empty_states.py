"""Empty states in the reader's language: a missing number says why."""

from __future__ import annotations


def test_pr_before_sunrise_says_why_in_both_languages() -> None:
    from dashboard.pages.renewables import pr_label

    assert pr_label(None, "zh") == "PR：日照不足，暂无法计算"
    assert pr_label(float("nan"), "en") == "PR: too little sun yet to judge"
    assert pr_label(0.834, "en") == "PR 83.4%"
