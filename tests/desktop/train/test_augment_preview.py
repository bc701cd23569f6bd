"""The Train tab's augmentation preview: shown with the Augment box, distorted, readable."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QStyle, QStyleOptionButton

from desktop.train.augment_preview import AugmentPreview, sample_digits
from nn.files.modelfile import load_model

DEFAULT_MODEL = Path(__file__).resolve().parents[3] / "resources" / "default-model.npz"


@pytest.fixture
def tab(open_train_tab, qtbot):
    tab = open_train_tab()
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def click_checkbox(qtbot, check):
    """Click the box itself, as a user does (the widget's centre may be empty space)."""
    option = QStyleOptionButton()
    check.initStyleOption(option)
    box = check.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, check)
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=box.center())


def set_augment(qtbot, tab, wanted):
    check = tab.form.augmentCheck
    if check.isChecked() != wanted:
        click_checkbox(qtbot, check)
    assert check.isChecked() == wanted


def test_preview_follows_the_augment_checkbox(qtbot, tab):
    preview = tab.findChild(AugmentPreview, "augmentPreview")
    assert preview is tab.augmentPreview
    set_augment(qtbot, tab, False)
    assert not preview.isVisible()
    click_checkbox(qtbot, tab.form.augmentCheck)
    assert tab.form.augmentCheck.isChecked()
    assert preview.isVisible()
    # In the settings column, under the form.
    assert tab.findChild(QScrollArea, "trainSettings").isAncestorOf(preview)
    assert preview.mapTo(tab, preview.rect().topLeft()).y() >= \
        tab.form.mapTo(tab, tab.form.rect().bottomLeft()).y()
    click_checkbox(qtbot, tab.form.augmentCheck)
    assert not tab.form.augmentCheck.isChecked()
    assert not preview.isVisible()


def test_becoming_visible_draws_new_distortions(qtbot, tab):
    set_augment(qtbot, tab, False)
    before = tab.augmentPreview.distorted.copy()
    click_checkbox(qtbot, tab.form.augmentCheck)
    assert not np.array_equal(before, tab.augmentPreview.distorted)


def test_distorted_images_differ_stay_in_range_and_keep_ink(qtbot):
    preview = AugmentPreview()
    qtbot.addWidget(preview)
    samples, distorted = preview.samples, preview.distorted
    assert distorted.shape == samples.shape == (10, 28, 28)
    assert len({d.tobytes() for d in distorted}) >= 10  # ten distinct images
    for original, copy in zip(samples, distorted):
        assert np.abs(original - copy).max() > 0.3   # visibly changed, not just rounding
    assert distorted.min() >= 0.0 and distorted.max() <= 1.0
    assert (distorted.max(axis=(1, 2)) > 0.5).all()  # every copy still has ink
    assert (distorted.sum(axis=(1, 2)) > 20).all()


def test_shuffle_draws_new_distortions(qtbot):
    preview = AugmentPreview()
    qtbot.addWidget(preview)
    preview.show()
    qtbot.waitExposed(preview)
    button = preview.findChild(type(preview.shuffleButton), "augmentShuffleButton")
    before = preview.distorted.copy()
    shown_before = preview.grab().toImage()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not np.array_equal(before, preview.distorted)
    assert np.array_equal(preview.samples, sample_digits())  # the top row stays put
    assert preview.grab().toImage() != shown_before  # and the screen shows the new ones


def test_sample_digits_are_readable_by_the_default_model(qapp):
    model = load_model(DEFAULT_MODEL)
    x = sample_digits()
    assert x.min() >= 0.0 and x.max() <= 1.0
    predicted = model.predict(x.reshape((len(x),) + tuple(model.input_shape)))
    correct = int((predicted == np.arange(10)).sum())
    assert correct >= 9, f"the model reads the rendered digits as {predicted.tolist()}"
