"""The guess widget: sliders per workload, a button that freezes the answer."""

from __future__ import annotations

import pytest

from labkit.experiments import GuessWidget


def test_guesses_follow_the_sliders_until_recorded() -> None:
    g = GuessWidget(
        ["io-read-stage", "cpu-parse-stage"], max_workers=16, initial={"io-read-stage": 4}
    )
    assert g.guesses == {"io-read-stage": 4, "cpu-parse-stage": 1}
    assert not g.recorded
    g.sliders["cpu-parse-stage"].value = 2
    assert g.guesses["cpu-parse-stage"] == 2
    assert "readers" in g.sliders["io-read-stage"].description
    assert "parsers" in g.sliders["cpu-parse-stage"].description


def test_the_button_records_and_freezes() -> None:
    g = GuessWidget(["io-read"], max_workers=8)
    g.sliders["io-read"].value = 6
    g.button.click()
    assert g.recorded and g.recorded_at is not None
    assert g.sliders["io-read"].disabled and g.button.disabled and g.reason.disabled
    assert "io-read → 6" in g.status.value
    assert g.record() == {"io-read": 6}  # again: same answer
    assert "recorded" in repr(g)


def test_initial_values_are_clamped_and_names_checked() -> None:
    g = GuessWidget(["cpu-parse"], max_workers=4, initial={"cpu-parse": 99})
    assert g.guesses == {"cpu-parse": 4}
    with pytest.raises(ValueError, match="unknown workload"):
        GuessWidget(["nope"])
    with pytest.raises(ValueError):
        GuessWidget([])


def test_it_displays_as_a_widget() -> None:
    bundle = GuessWidget()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
