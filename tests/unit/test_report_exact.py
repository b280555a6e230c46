"""The sample walk that counts restarted processes exactly, and the restart markers it uses."""

from __future__ import annotations

from genai_cost.report import candidates
from genai_cost.report.lives import drops, merge, walk


def test_walk_counts_growth_and_the_new_value_after_a_drop() -> None:
    samples = [(90, "10"), (100, "12"), (110, "20"), (120, "3"), (130, "8")]
    # after 100: +8, then a restart (3 counted from zero), then +5
    # and what the fast query counted: the last sample minus the last one at or before the start
    assert walk(samples, 100) == (8 + 3 + 5, 8 - 12)


def test_walk_counts_a_series_born_inside_from_zero() -> None:
    assert walk([(110, "4"), (120, "9")], 100) == (9, 9)


def test_a_restart_of_the_process_counts_a_series_that_did_not_drop_from_zero() -> None:
    # one call before the restart (5), two after: the value went up, yet it is a new process
    samples = [(100, "5"), (200, "10")]
    assert walk(samples, 50) == (10, 10)  # no marker: a plain counter
    assert walk(samples, 50, [(120, 180)]) == (5 + 10, 10)
    assert walk(samples, 150, [(120, 180)]) == (10, 5)  # the restart is after the last sample before start
    assert walk(samples, 150, [(20, 40), (120, 180), (300, 400)]) == (10, 5)


def test_markers_come_from_drops_and_narrow_to_one_per_restart() -> None:
    witness = [(100, "50"), (160, "60"), (220, "2"), (280, "4")]
    assert drops(witness) == [(160.0, 220.0)]
    assert merge([(100.0, 220.0), (160.0, 280.0), (500.0, 560.0)]) == [(160.0, 220.0), (500.0, 560.0)]


def test_candidate_families_match_versions_not_other_models() -> None:
    table = candidates.load(None)
    assert candidates.for_model(table, "openai", "gpt-4o-2024-08-06") == ["gpt-4o-mini", "gpt-4.1-mini"]
    assert candidates.for_model(table, "openai", "gpt-4o-mini") == []
    assert candidates.for_model(table, "azure.ai.openai", "gpt-4.1") == ["gpt-4.1-mini", "gpt-4.1-nano"]
    assert candidates.for_model(table, "anthropic", "claude-sonnet-4-5-20250929") == ["claude-haiku-4-5"]


def test_lives_agree_with_the_walk_when_restarts_are_known() -> None:
    from genai_cost.report.lives import lives

    samples = [(90, "10"), (100, "12"), (110, "20"), (130, "3"), (140, "8"), (170, "2"), (180, "9")]
    restarts = [(110.0, 130.0), (140.0, 170.0)]
    for start in (50, 95, 100, 115, 135, 150, 175, 200):
        assert lives(samples, start, restarts) == walk(samples, start, restarts), start
    crossing = [(100, "5"), (200, "10")]  # one call before the restart, two after: no drop
    assert lives(crossing, 50, [(120, 180)]) == walk(crossing, 50, [(120, 180)]) == (15, 10)
