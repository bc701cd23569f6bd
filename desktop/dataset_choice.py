"""The Data menu's choice of dataset, and where the tabs that train or read it find its files.

One dataset (MNIST or Fashion-MNIST) is chosen at a time, from an exclusive group of menu
actions. The choice, with the folder it was found in (None: searched for), goes to every tab
that reads the dataset and is remembered in the settings, so the next launch starts with it.
"""

from PySide6.QtCore import QObject
from PySide6.QtGui import QActionGroup

from desktop import settings
from desktop.menus import DATASET_ACTIONS
from nn.data.datasets import DATASETS


class DatasetChoice(QObject):
    """The checked dataset of ``actions`` (the window's named actions), passed on to ``tabs``
    (each with ``set_dataset(name, folder)``) and saved in ``store`` (QSettings)."""

    def __init__(self, actions, tabs, store, parent):
        super().__init__(parent)
        self._actions, self._tabs, self._store = actions, tabs, store
        self.group = QActionGroup(self, exclusive=True)
        for dataset, name in DATASET_ACTIONS.items():
            action = actions[name]
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, d=dataset: self.choose(d))
            self.group.addAction(action)

    def info(self, name=None):
        """The `nn.data.datasets.DatasetInfo` of dataset ``name`` (None: the chosen one):
        what to download, and how to recognise its files in a folder."""
        return DATASETS[name or self.current()]

    def current(self):
        checked = self.group.checkedAction()
        return next((d for d, name in DATASET_ACTIONS.items()
                     if checked is not None and checked.objectName() == name),
                    settings.DEFAULT_DATASET)

    def choose(self, name, folder=None):
        """Train on dataset ``name``, from ``folder`` or (None) wherever it is found."""
        self._show(name, folder)
        settings.set_dataset_choice(name, folder, self._store)

    def restore(self):
        """The choice saved by the last launch (MNIST, searched for, if none or unknown)."""
        name, folder = settings.dataset_choice(self._store)
        if name not in DATASETS:
            name, folder = settings.DEFAULT_DATASET, None
        self._show(name, folder)

    def _show(self, name, folder):
        self._actions[DATASET_ACTIONS[name]].setChecked(True)
        for tab in self._tabs:
            tab.set_dataset(name, folder)
