"""Real HTTP servers on 127.0.0.1 for the download tests, and the small MNIST they serve."""

import dataclasses
import hashlib
import http.server
import socket
import struct
import threading
import time

import numpy as np

from nn.data.datasets import MNIST
from nn.data.idx import write_idx

N_TRAIN = 200  # random pixels barely compress: ~157 KB, so the images arrive in 3 chunks
N_TEST = 20


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest's output clean
        pass


def serve(handler):
    """Start a threaded HTTP server on a free port of 127.0.0.1; return (server, base URL)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    server.thread = thread
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def stop(server):
    server.shutdown()
    server.server_close()
    server.thread.join(timeout=2)


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def no_dataset(monkeypatch, tmp_path):
    """Nowhere to find MNIST, and no proxy: no DIGITLAB_DATA, an empty checkout data/ (the
    per-user folder is the test's own, see tests/conftest.py)."""
    import nn.data.folders

    monkeypatch.delenv("DIGITLAB_DATA", raising=False)
    monkeypatch.setattr(nn.data.folders, "_CHECKOUT_DATA_DIR", tmp_path / "checkout-data")
    no_proxy(monkeypatch)


def no_proxy(monkeypatch):
    """A proxy from the environment must not intercept requests to 127.0.0.1."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def tiny_mnist(folder, seed):
    """Write four small valid IDX gz files of random digits (N_TRAIN and N_TEST) into `folder`
    (created); returns MNIST's DatasetInfo with their checksums and sizes, so a download of them
    verifies."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    sha256 = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
              for name in MNIST.files.values()}
    sizes = {name: (folder / name).stat().st_size for name in MNIST.files.values()}
    return dataclasses.replace(MNIST, sha256=sha256, sizes=sizes)


TRICKLE_INTERVAL_S = 0.5    # one byte each half second: never long enough for a timeout
TRICKLE_LIMIT_S = 30        # a trickling handler gives up after this, if the client has not


def trickle_handler(size, in_headers=False):
    """A handler that trickles one byte every TRICKLE_INTERVAL_S: of its status line when
    ``in_headers``, else of a body announced as ``size`` bytes; it stops when the client
    hangs up."""

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            head = (f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").encode()
            if not in_headers:
                self.wfile.write(head)
                head = b""
            try:
                for i in range(int(TRICKLE_LIMIT_S / TRICKLE_INTERVAL_S)):
                    self.wfile.write(head[i:i + 1] if i < len(head) else b"\0")
                    self.wfile.flush()
                    time.sleep(TRICKLE_INTERVAL_S)
            except OSError:   # the client hung up, as a cancelled download does
                pass
            self.close_connection = True

        def log_message(self, format, *args):
            pass

    return Trickle


class RedirectLoopHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to another path of itself, for ever."""

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", f"/hop{len(self.path)}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def scripted_handler(script):
    """A handler that plays ``script``: ("send", bytes), ("wait", seconds), ("close", None),
    ("reset", None), whatever HTTP says; a hostile server's answer, for the property tests."""
    class Scripted(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                for action, value in script:
                    if action == "wait":
                        time.sleep(value)
                    elif action == "close":
                        break
                    elif action == "reset":   # a TCP reset, as a connection that breaks
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                   struct.pack("ii", 1, 0))
                        self.connection.close()
                        break
                    else:
                        self.wfile.write(value)
                        self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True

        def log_message(self, format, *args):
            pass

    return Scripted
