"""Kill a writing process with SIGKILL mid-write and collect what it reported as committed."""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILL_AFTER_S = 1.0   # the writer is killed after this long at most...


def ids_reported_until_killed(writer, path, kill_after_ids):
    """Run the Python source `writer` with `path` as its argument; it prints one id per line,
    each only once that write is committed. Kill it (SIGKILL on POSIX: no cleanup, no final
    commit) after KILL_AFTER_S or `kill_after_ids` ids, whichever comes first; returns every
    id it printed, those still in the pipe included."""
    proc = subprocess.Popen([sys.executable, "-c", writer, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    printed = []
    try:
        first = proc.stdout.readline()  # waits for the imports; then the clock starts
        assert first, proc.stderr.read()
        printed.append(int(first))
        deadline = time.monotonic() + KILL_AFTER_S
        while len(printed) < kill_after_ids and time.monotonic() < deadline:
            printed.append(int(proc.stdout.readline()))
    finally:
        proc.kill()
        rest, _ = proc.communicate(timeout=10)
    return printed + [int(line) for line in rest.split() if line.strip()]
