"""Install (or remove) a Linux desktop entry so DigitLab starts with a double-click.

``digitlab-install-desktop`` (or ``python -m desktop.install``) writes
``$XDG_DATA_HOME/applications/digitlab.desktop`` (default ``~/.local/share``) and copies the
icon to ``$XDG_DATA_HOME/icons/hicolor/256x256/apps/digitlab.png``. ``Exec`` holds absolute
paths to this very Python environment, so the entry works without activating a virtualenv;
``Path`` (the folder it starts in) is written only for a checkout run with ``python -m desktop``.
``--uninstall`` removes both files.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop import resources
from nn.data.folders import xdg_data_home

APP_ID = "digitlab"
APP_NAME = "DigitLab"
WM_CLASS = "DigitLab"  # QCoreApplication.applicationName(): Qt's X11 window class
COMMENT = "Draw digits for a neural network and watch it train"
# One main category (two would list the app twice in some menus), then an additional one.
CATEGORIES = "Education;ArtificialIntelligence;"
REPOSITORY = Path(__file__).resolve().parents[1]
ICON_SOURCE = resources.DESKTOP_ICON
# Characters that force quoting in an Exec argument (Desktop Entry spec, "The Exec key").
EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def desktop_file_path():
    return xdg_data_home() / "applications" / f"{APP_ID}.desktop"


def icon_path():
    return xdg_data_home() / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png"


def launch_command():
    """The command that starts DigitLab from this environment, as a list of arguments: the
    ``digitlab`` GUI script beside this Python when the package is installed, otherwise this
    Python with ``-m desktop`` (run from the checkout, see `working_dir`)."""
    script = Path(sys.executable).parent / APP_ID
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [str(Path(sys.executable).absolute()), "-m", "desktop"]


def working_dir(command):
    """The ``Path=`` of the entry for ``command``: the checkout when the command is
    ``python -m desktop`` and this is one (Python finds the package in the folder it starts
    in), else None: an installed ``digitlab`` needs none, and its package folder
    (site-packages) is no place to start a program in."""
    if command[1:] == ["-m", "desktop"] and (REPOSITORY / "pyproject.toml").is_file():
        return REPOSITORY
    return None


def quote_exec_argument(argument):
    """Quote one argument for ``Exec=``: the spec wants double quotes around arguments with
    reserved characters, a backslash before ``"`` `` ` `` ``$`` ``\\`` inside them, ``%``
    doubled, and then the whole value escaped once more as a desktop-file string."""
    argument = argument.replace("%", "%%")
    if any(c in EXEC_RESERVED for c in argument):
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
        argument = f'"{escaped}"'
    return argument.replace("\\", "\\\\")


def desktop_entry(command, icon, folder=None):
    """The text of the .desktop file; ``folder`` is the one it starts in (None: no Path=)."""
    return "\n".join(line for line in [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",  # every key below is in 1.0, and every validator knows that version
        f"Name={APP_NAME}",
        f"Comment={COMMENT}",
        f"Exec={' '.join(quote_exec_argument(a) for a in command)}",
        f"Path={folder}" if folder else None,
        f"Icon={icon}",
        "Terminal=false",
        f"Categories={CATEGORIES}",
        "Keywords=MNIST;neural network;handwriting;machine learning;",
        f"StartupWMClass={WM_CLASS}",
        "StartupNotify=true",
        "",
    ] if line is not None)


def install():
    """Write the entry and the icon; returns their paths."""
    entry, icon = desktop_file_path(), icon_path()
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICON_SOURCE, icon)
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.with_name(entry.name + ".tmp")
    command = launch_command()
    tmp.write_text(desktop_entry(command, icon, working_dir(command)), encoding="utf-8")
    tmp.chmod(0o755)  # some desktops only launch entries marked executable ("trusted")
    os.replace(tmp, entry)
    _refresh_menus(entry.parent)
    return entry, icon


def uninstall():
    """Remove the entry and the icon; returns the paths that were removed."""
    removed = []
    for path in (desktop_file_path(), icon_path()):
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh_menus(desktop_file_path().parent)
    return removed


def _refresh_menus(applications_dir):
    """Ask the desktop to re-read its menu entries, when the tool exists (it is optional)."""
    tool = shutil.which("update-desktop-database")
    if tool and applications_dir.is_dir():
        subprocess.run([tool, str(applications_dir)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="digitlab-install-desktop",
        description="Add DigitLab to the desktop's application menu (Linux), so it starts "
                    "with a double-click.")
    parser.add_argument("--uninstall", action="store_true", help="remove the menu entry and icon")
    args = parser.parse_args(argv)
    if sys.platform in ("win32", "darwin"):
        print("This command writes a Linux (freedesktop) menu entry; see the README for "
              "Windows and macOS.", file=sys.stderr)
        return 2
    try:
        if args.uninstall:
            removed = uninstall()
            for path in removed:
                print(f"Removed {path}")
            if not removed:
                print(f"Nothing to remove: {desktop_file_path()} does not exist.")
            return 0
        entry, icon = install()
    except OSError as error:
        print(f"digitlab-install-desktop: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {entry}\nCopied the icon to {icon}\nDigitLab is now in the application menu "
          f"(it starts with: {' '.join(launch_command())}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
