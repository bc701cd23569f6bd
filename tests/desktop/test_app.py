"""Launching DigitLab: the desktop entry installer, logging, the last-resort error dialog,
the Qt platform check, and `python -m desktop` itself."""

import configparser
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QtMsgType
from PySide6.QtWidgets import QMessageBox

from desktop import app, install, settings
from nn import __version__

REPOSITORY = Path(__file__).resolve().parents[2]
VALIDATOR = shutil.which("desktop-file-validate")
needs_validator = pytest.mark.skipif(
    VALIDATOR is None,
    reason="desktop-file-validate is not installed (apt install desktop-file-utils)")


@pytest.fixture
def clean_logging():
    """Undo setup_logging's handlers, so later tests do not write into a deleted folder."""
    yield
    root = logging.getLogger()
    while app._installed_handlers:
        handler = app._installed_handlers.pop()
        root.removeHandler(handler)
        handler.close()


def read_desktop_file(path):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


# --- desktop entry ----------------------------------------------------------------------------

def test_install_writes_a_desktop_entry_and_uninstall_removes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert install.main([]) == 0
    entry_path = tmp_path / "share" / "applications" / "digitlab.desktop"
    icon_path = tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "digitlab.png"
    assert str(entry_path) in capsys.readouterr().out
    entry = read_desktop_file(entry_path)
    assert entry["Type"] == "Application"
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Education;ArtificialIntelligence;"
    assert entry["StartupWMClass"] == "DigitLab"
    executable = entry["Exec"].split()[0].strip('"')
    assert Path(executable).is_absolute() and os.access(executable, os.X_OK)
    assert Path(entry["Icon"]) == icon_path and icon_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert install.main(["--uninstall"]) == 0
    assert not entry_path.exists() and not icon_path.exists()


def validate(path):
    """desktop-file-validate's complaints about the file at path: errors, warnings and hints."""
    result = subprocess.run([VALIDATOR, str(path)], capture_output=True, text=True, check=False)
    return result.returncode, (result.stdout + result.stderr).strip()


@needs_validator
def test_the_installed_entry_passes_desktop_file_validate(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    entry, _ = install.install()

    assert validate(entry) == (0, "")


@needs_validator
def test_an_exec_line_with_spaces_and_reserved_characters_passes_desktop_file_validate(tmp_path):
    command = ["/home/a b/$HOME/50%/python", "-m", "desktop"]
    path = tmp_path / "digitlab.desktop"
    path.write_text(install.desktop_entry(command, "/icons/digitlab.png", "/home/a b"),
                    encoding="utf-8")

    assert validate(path) == (0, "")


def test_install_ignores_a_relative_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")
    expected = tmp_path / ".local" / "share" / "applications" / "digitlab.desktop"
    assert install.desktop_file_path() == expected


def test_the_desktop_entry_runs_this_python_from_the_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    command = install.launch_command()
    assert command == [str(tmp_path / "venv" / "bin" / "python"), "-m", "desktop"]
    text = install.desktop_entry(command, "/icons/digitlab.png", install.working_dir(command))
    assert f"Path={install.REPOSITORY}\n" in text


def test_a_wheel_installed_entry_starts_the_script_and_has_no_path(monkeypatch, tmp_path):
    """pip install digitlab: the ``digitlab`` script sits beside Python, the package in
    site-packages (no pyproject.toml there); the entry must not start in site-packages."""
    bin_dir, site_packages = tmp_path / "venv" / "bin", tmp_path / "venv" / "site-packages"
    bin_dir.mkdir(parents=True)
    site_packages.mkdir()
    script = bin_dir / "digitlab"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.setattr(install, "REPOSITORY", site_packages)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    entry_path, _ = install.install()
    entry = read_desktop_file(entry_path)
    assert entry["Exec"] == str(script)
    assert "Path" not in entry and "site-packages" not in entry_path.read_text(encoding="utf-8")


def test_exec_arguments_are_quoted_as_the_spec_says():
    assert install.quote_exec_argument("/usr/bin/python3") == "/usr/bin/python3"
    assert install.quote_exec_argument("/home/a b/python") == '"/home/a b/python"'
    # "$" is escaped inside quotes, then the backslash is escaped again as a string value.
    assert install.quote_exec_argument("/opt/$x") == '"/opt/\\\\$x"'
    assert install.quote_exec_argument("50%") == "50%%"


# --- logging and errors -----------------------------------------------------------------------

def test_logging_goes_to_a_file_when_there_is_no_console(tmp_path, monkeypatch, clean_logging):
    monkeypatch.setattr(sys, "stdout", None)  # what pythonw gives a gui-script
    monkeypatch.setattr(sys, "stderr", None)
    app.ensure_stdio()
    print("a stray print must not raise")
    path = app.setup_logging(tmp_path / "logs" / "digitlab.log")
    logging.getLogger("desktop.test").warning("written without a console")
    for handler in app._installed_handlers:
        handler.flush()
    assert "written without a console" in path.read_text(encoding="utf-8")
    assert len(app._installed_handlers) == 1  # no console handler on a null stream


def test_log_file_is_in_the_per_user_folder(private_home):
    assert app.log_path() == private_home / "logs" / "digitlab.log"


def test_an_uncaught_exception_is_logged_and_shown_with_the_log_location(
        qtbot, tmp_path, monkeypatch, clean_logging):
    log_file = app.setup_logging(tmp_path / "digitlab.log")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = app.ErrorReporter(log_file).install()
    try:
        raise ZeroDivisionError("the bug")
    except ZeroDivisionError:
        sys.excepthook(*sys.exc_info())
    assert len(shown) == 1 and "the bug" in shown[0] and str(log_file) in shown[0]
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback" in text and "ZeroDivisionError: the bug" in text

    # From another thread the dialog is still built on the GUI thread, through a queued signal.
    worker = threading.Thread(target=lambda: 1 / 0)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(shown) == 2)
    assert "ZeroDivisionError" in shown[1]
    del reporter


def test_missing_xcb_cursor_is_named(monkeypatch, caplog):
    def no_library(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(app.ctypes, "CDLL", no_library)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    message = app.check_qt_platform()
    assert "libxcb-cursor0" in message and "sudo apt install libxcb-cursor0" in message
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.check_qt_platform() is None


def test_qt_platform_plugin_failure_logs_the_library_to_install(monkeypatch, caplog):
    def no_library(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(app.ctypes, "CDLL", no_library)
    monkeypatch.setattr(app, "_plugin_hint_given", False)
    monkeypatch.setattr(app, "_notify_desktop", lambda text: None)
    with caplog.at_level(logging.INFO):
        app._qt_message_handler(QtMsgType.QtFatalMsg, None,
                                'Could not load the Qt platform plugin "xcb" in "" even though '
                                "it was found.")
    assert "sudo apt install libxcb-cursor0" in caplog.text


def test_settings_stay_in_the_private_folder(private_home, tmp_path):
    assert Path(settings.settings_location()) == private_home / "settings.ini"
    model = tmp_path / "a.npz"
    model.write_bytes(b"x")
    store = settings.open_settings()
    for i in range(settings.MAX_RECENT_FILES + 3):
        extra = tmp_path / f"m{i}.npz"
        extra.write_bytes(b"x")
        settings.add_recent_file(extra, store)
    settings.add_recent_file(model, store)
    (tmp_path / "m10.npz").unlink()  # a file that went away is not offered any more
    recent = settings.recent_files(settings.open_settings())
    assert recent[0] == str(model) and str(tmp_path / "m10.npz") not in recent
    assert len(recent) <= settings.MAX_RECENT_FILES


# --- launch -----------------------------------------------------------------------------------

def test_python_m_desktop_shows_the_window_and_logs(private_home):
    result = launch(private_home)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith(app.BENCH_PREFIX))
    assert "visible=True" in line
    assert "DigitLab" in (private_home / "logs" / "digitlab.log").read_text(encoding="utf-8")


def launch(private_home, **env):
    """Run ``python -m desktop`` until its window is shown; the finished process."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITLAB_HOME=str(private_home),
               **{app.BENCH_ENV: repr(time.time())}, **env)
    return subprocess.run([sys.executable, "-m", "desktop"], cwd=REPOSITORY, env=env,
                          capture_output=True, text=True, timeout=60)


# (Not a device: were the fix undone, Qt's save of the settings would replace the device
# itself, for root.)
NOT_FILES = {
    "a pipe": os.mkfifo,   # read or written, it waits for the other end: the launch hung
    "a folder": lambda path: path.mkdir(),
}


@pytest.mark.parametrize("kind", NOT_FILES)
@pytest.mark.parametrize("place, words", [
    ("settings.ini", "settings are kept only until DigitLab closes"),
    ("logs/digitlab.log", "cannot write its log file"),
])
def test_a_settings_or_log_file_that_is_no_file_does_not_stop_the_launch(private_home, kind,
                                                                          place, words):
    path = private_home / place
    path.parent.mkdir(parents=True)
    NOT_FILES[kind](path)

    result = launch(private_home)

    assert result.returncode == 0, result.stderr
    assert any(line.startswith(app.BENCH_PREFIX) and "visible=True" in line
               for line in result.stdout.splitlines())
    assert words in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_the_settings_file_named_is_the_one_qt_uses(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DIGITLAB_HOME"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    code = ("from desktop import settings; "
            "print(settings.settings_file()); print(settings.open_settings().fileName())")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    named, used = result.stdout.splitlines()
    assert named == used == str(tmp_path / "config" / "DigitLab" / "DigitLab.conf")


@pytest.mark.parametrize("option, expected", [
    ("--help", ["usage: python -m desktop [-h] [--version]", "digitlab-cli", "DIGITLAB_HOME"]),
    ("--version", [f"DigitLab {__version__}\n"]),
])
def test_help_and_version_print_and_exit_without_a_window(private_home, option, expected):
    # A window would keep the process running until the timeout; a log would mean a launch.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITLAB_HOME=str(private_home))
    result = subprocess.run([sys.executable, "-m", "desktop", option], cwd=REPOSITORY, env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(expected[0])
    assert all(text in result.stdout for text in expected)
    assert not private_home.exists()


def test_the_installed_command_names_itself_in_its_help(capsys):
    with pytest.raises(SystemExit) as exited:
        app.read_arguments(["/home/me/.local/bin/digitlab", "--help", "-platform", "offscreen"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: digitlab [-h] [--version]")
    app.read_arguments(["digitlab", "-platform", "offscreen", "-style", "fusion"])  # Qt's
