"""A text progress bar with ETA for the command line (the only place `nn` writes to a terminal)."""

import sys
import time

BAR_WIDTH = 28
MIN_INTERVAL = 0.1  # seconds between redraws


def format_seconds(seconds):
    """1:02:03 / 2:03 / 0:05 style durations; "--:--" when unknown."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """Redraws one line on a terminal; on a pipe or file it writes a line per epoch instead,
    so logs stay readable."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.last_draw = 0.0

    def update(self, fraction, text, final=False):
        if not self.interactive:
            if final:
                self.stream.write(text + "\n")
                self.stream.flush()
            return
        now = time.monotonic()
        if not final and now - self.last_draw < MIN_INTERVAL:
            return
        self.last_draw = now
        filled = int(BAR_WIDTH * min(max(fraction, 0.0), 1.0))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {fraction:6.1%} {text}\033[K")
        if final:
            self.stream.write("\n")
        self.stream.flush()

    def training(self, record):
        """An ``on_progress`` callback for ``nn.training.train.train``."""
        from nn.training.progress import EpochProgress

        fraction = record.epoch / record.epochs
        if isinstance(record, EpochProgress):
            val = "" if record.val_accuracy is None else f" val acc {record.val_accuracy:.2%}"
            text = (f"epoch {record.epoch}/{record.epochs} loss {record.train_loss:.4f} "
                    f"acc {record.train_accuracy:.2%}{val} ETA {format_seconds(record.eta)}")
            # Full-batch runs have hundreds of tiny epochs: print one line per ~5% of the run.
            every = max(1, record.epochs // 20)
            self.update(fraction, text,
                        final=record.epoch % every == 0 or record.epoch == record.epochs)
        else:
            self.update(fraction, f"epoch {int(record.epoch) + 1}/{record.epochs} loss "
                        f"{record.loss:.4f} {record.samples_per_second:,.0f} samples/s "
                        f"ETA {format_seconds(record.eta)}")

    def download(self, record):
        """An ``on_progress`` callback for ``nn.data.download.download_dataset``."""
        total = record.bytes_total or 0
        fraction = record.bytes_done / total if total else 0.0
        self.update(fraction, f"{record.file} {record.bytes_done / 1e6:.1f} MB",
                    final=bool(total) and record.bytes_done >= total)
