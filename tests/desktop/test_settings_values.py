"""Bad values in settings.ini: every one falls back to its default with one line in the log,
and the window opens. Values are written through QSettings, as a tampered or older file
holds them."""

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st

from desktop import main_window, settings
from desktop.train.tab import TrainTab
from tests.desktop.drawing import shown

DEEP = "[" * 100_000 + "]" * 100_000
BAD_SETTINGS = {
    "form Infinity": (settings.KEY_TRAIN_FORM, '{"epochs": Infinity, "learning_rate": 0.5}'),
    "form NaN": (settings.KEY_TRAIN_FORM, '{"learning_rate": NaN}'),
    "form nested": (settings.KEY_TRAIN_FORM, '{"epochs": ' + DEEP + "}"),
    "form a list": (settings.KEY_TRAIN_FORM, "[1, 2]"),
    "form not text": (settings.KEY_TRAIN_FORM, 12),
    "recent nested": (settings.KEY_RECENT_FILES, DEEP),
    "recent numbers": (settings.KEY_RECENT_FILES, "[1, 2, 3]"),
    "recent Infinity": (settings.KEY_RECENT_FILES, "Infinity"),
    "dataset a list": (settings.KEY_DATASET_NAME, ["mnist", "x"]),
    "geometry text": (settings.KEY_GEOMETRY, "not Qt's bytes"),
    "splitter a number": (settings.KEY_TRAIN_SPLITTER, 3),
    "last model huge": (settings.KEY_LAST_MODEL, "m" * 100_000),
}


# The audit's, each of which stopped every launch, and a wrong type and wrong bytes.
AT_LAUNCH = ["form Infinity", "form nested", "recent nested", "dataset a list", "geometry text",
             "splitter a number"]


@pytest.mark.parametrize("bad", AT_LAUNCH)
def test_a_launch_with_a_bad_setting_opens_with_the_default_and_one_log_line(
        qtbot, monkeypatch, tmp_path, caplog, bad):
    key, value = BAD_SETTINGS[bad]
    monkeypatch.setattr(main_window, "BUNDLED_MODEL", tmp_path / "none.npz")
    stored = settings.open_settings()
    stored.setValue(key, value)
    stored.sync()
    with caplog.at_level(logging.WARNING, logger="desktop.settings"):
        window = shown(qtbot, main_window.MainWindow(), (1100, 760))
    lines = [r.getMessage() for r in caplog.records if r.name == "desktop.settings"]
    assert len(lines) == 1 and key in lines[0] and "\n" not in lines[0], lines
    defaults = TrainTab()
    qtbot.addWidget(defaults)
    defaults.offer_quick_demo()   # what a launch without a saved form shows
    assert window.train_tab.form_state() == defaults.form_state()
    assert window.recent_menu.actions() == [] or not window.recent_menu.isEnabled()
    window.close()


@pytest.mark.parametrize("bad", BAD_SETTINGS, ids=list(BAD_SETTINGS))
def test_each_bad_setting_reads_as_its_default_once_logged(caplog, bad):
    key, value = BAD_SETTINGS[bad]
    stored = settings.open_settings()
    stored.setValue(key, value)
    readers = {settings.KEY_TRAIN_FORM: (settings.train_form_state, None),
               settings.KEY_RECENT_FILES: (settings.recent_files, []),
               settings.KEY_DATASET_NAME: (settings.dataset_choice, (settings.DEFAULT_DATASET,
                                                                     None)),
               settings.KEY_GEOMETRY: (settings.window_geometry, (None, None, None)),
               settings.KEY_TRAIN_SPLITTER: (settings.window_geometry, (None, None, None)),
               settings.KEY_LAST_MODEL: (settings.last_model_path, None)}
    reader, default = readers[key]
    with caplog.at_level(logging.WARNING, logger="desktop.settings"):
        assert reader(stored) == default and reader(stored) == default
    assert len(caplog.records) == 1 and key in caplog.records[0].getMessage()


# --- random values and nesting --------------------------------------------------------------

JSON_TEXT = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=10).map(lambda v: json.dumps(v))   # NaN and Infinity included
NESTED = st.integers(1, 200_000).map(lambda n: "[" * n + "]" * n)
STORED = (JSON_TEXT | NESTED | st.text(max_size=40) | st.integers(-2**63, 2**63 - 1)
          | st.binary(max_size=20) | st.lists(st.text(max_size=5), max_size=3))
READERS = {settings.KEY_TRAIN_FORM: (settings.train_form_state, (dict, type(None))),
           settings.KEY_RECENT_FILES: (settings.recent_files, list),
           settings.KEY_LAST_FOLDER: (settings.last_folder, str),
           settings.KEY_LAST_MODEL: (settings.last_model_path, (str, type(None))),
           settings.KEY_DATASET_NAME: (lambda s: settings.dataset_choice(s)[0], str)}


@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
@given(key=st.sampled_from(sorted(READERS)), value=STORED)
def test_any_stored_value_reads_as_a_value_of_the_right_type(qtbot, key, value):
    stored = settings.open_settings()
    stored.setValue(key, value)
    reader, kind = READERS[key]
    got = reader(stored)
    assert isinstance(got, kind)
    if key == settings.KEY_TRAIN_FORM and got is not None:
        tab = TrainTab()   # what the window does with it at launch
        qtbot.addWidget(tab)
        tab.set_form_state(got)
        tab.deleteLater()
