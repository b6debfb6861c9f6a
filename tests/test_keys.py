"""When each key is offered (keys.offered), without a terminal: the footer shows and the app
obeys exactly these."""

from __future__ import annotations

import pytest

from gilviz.app.keys import BINDINGS, TYPED_IN_A_FIELD, offered

IDLE = dict(modal=False, typing=False, touring=False, running=False)


def action(binding) -> str:
    """A binding's action by name, without its arguments ("workers(1)" is "workers")."""
    return binding.action.split("(")[0]


def test_run_and_sweep_while_idle_and_cancel_while_running():
    for action in ("run", "sweep"):
        assert offered(action, **IDLE) and not offered(action, **{**IDLE, "running": True})
    assert not offered("cancel", **IDLE) and offered("cancel", **{**IDLE, "running": True})


def test_the_tours_steps_only_while_its_panel_shows_and_nothing_runs():
    touring = {**IDLE, "touring": True}
    for action in ("tour_next", "tour_back"):
        assert not offered(action, **IDLE)
        assert offered(action, **touring)
        assert not offered(action, **{**touring, "running": True})


@pytest.mark.parametrize("name", sorted({action(b) for b in BINDINGS}))
def test_over_a_modal_screen_none_of_the_apps_keys(name):
    assert not offered(name, **{**IDLE, "modal": True, "running": name == "cancel"})


def test_in_a_text_field_no_key_it_would_type_but_escape_still_cancels():
    typing = {**IDLE, "typing": True}
    assert all(not offered(name, **typing) for name in TYPED_IN_A_FIELD)
    assert offered("cancel", **{**typing, "running": True})
    signs = ("plus", "minus")
    typed = {
        action(b) for b in BINDINGS if len(b.key.split(",")[0]) == 1 or b.key.startswith(signs)
    }
    assert typed <= TYPED_IN_A_FIELD, "every letter or sign key is one a field types"
