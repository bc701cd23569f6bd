"""The window's actions and menus, as tables: each action's text, shortcut and tip, and which
menu shows it. The main window connects the actions to what they do."""

from PySide6.QtGui import QAction, QKeySequence

Key = QKeySequence.StandardKey
# objectName: (menu text, shortcut (a standard key, key text or None), status tip)
ACTIONS = {
    "openAction": ("&Open Model…", Key.Open, "Open a DigitLab model file and make it active"),
    "useBundledAction": ("Use the &Bundled Model", None,
                         "Make the model that comes with DigitLab the active one again"),
    "saveAction": ("&Save Model", Key.Save, "Save the active model to its file"),
    "saveAsAction": ("Save Model &As…", Key.SaveAs, "Save the active model to a new file"),
    "importNotebookAction": ("&Import Notebook Weights…", None,
                             "Make a model from the W1, b1, W2, b2 the original notebook saved"),
    "exportOnnxAction": ("&Export as ONNX…", None,
                         "Write the active model as an ONNX graph for onnxruntime and other tools"),
    "quitAction": ("&Quit", Key.Quit, "Quit DigitLab"),
    "startAction": ("&Start", "F5", "Train with the Train tab's settings"),
    "pauseAction": ("&Pause", "F6", "Pause or resume the training run"),
    "stopAction": ("S&top", "Shift+F5", "Stop training and keep what was learnt so far"),
    "newModelAction": ("&New Model from the Current Settings", Key.New,
                       "The next Start trains a new network instead of the active model"),
    "mnistAction": ("&MNIST", None, "Train on the MNIST handwritten digits"),
    "fashionAction": ("&Fashion-MNIST", None, "Train on Fashion-MNIST's clothing images"),
    "downloadAction": ("&Download…", None, "Download the chosen dataset into your data folder"),
    "useFolderAction": ("Use &Folder…", None, "Train on dataset files in a folder you choose"),
    "shortcutsAction": ("&Keyboard Shortcuts", Key.HelpContents, "List every keyboard shortcut"),
    "aboutAction": ("&About DigitLab", None, "Version, libraries, and where files are kept"),
}
FALLBACK_KEYS = {Key.Quit: "Ctrl+Q", Key.SaveAs: "Ctrl+Shift+S"}  # unbound on Windows
DATASET_ACTIONS = {"mnist": "mnistAction", "fashion-mnist": "fashionAction"}
RECENT_MENU = "recent"
MENUS = (
    ("&File", ("openAction", "useBundledAction", "saveAction", "saveAsAction", RECENT_MENU,
               "importNotebookAction", "exportOnnxAction", "-", "quitAction")),
    ("&Train", ("startAction", "pauseAction", "stopAction", "-", "newModelAction")),
    ("&Data", ("mnistAction", "fashionAction", "-", "downloadAction", "useFolderAction")),
    ("&Help", ("shortcutsAction", "aboutAction")),
)
# Off while a run goes: its result would replace whatever these change.
IDLE_ONLY = ("openAction", "useBundledAction", "importNotebookAction", "startAction",
             "newModelAction", "mnistAction", "fashionAction", "downloadAction", "useFolderAction")


def create_actions(parent):
    """Every action of ``ACTIONS`` as a QAction owned by ``parent``, keyed by its objectName."""
    actions = {}
    for name, (text, key, tip) in ACTIONS.items():
        action = QAction(text, parent, objectName=name, statusTip=tip, toolTip=tip)
        if isinstance(key, Key):
            action.setShortcuts(QKeySequence.keyBindings(key)
                                or [QKeySequence(FALLBACK_KEYS.get(key, ""))])
        elif key:
            action.setShortcut(QKeySequence(key))
        actions[name] = action
    return actions


def fill_menu_bar(menu_bar, actions):
    """Add the menus of ``MENUS`` to ``menu_bar``; returns the (empty) Open Recent submenu."""
    recent_menu = None
    for title, entries in MENUS:
        menu = menu_bar.addMenu(title)
        for entry in entries:
            if entry == "-":
                menu.addSeparator()
            elif entry == RECENT_MENU:
                recent_menu = menu.addMenu("Open &Recent")
                recent_menu.setObjectName("recentMenu")
            else:
                menu.addAction(actions[entry])
    return recent_menu
