"""``python -m nn calibrate``: fit a model's temperature and "unsure" threshold on held-out
predictions (``nn.training.calibration``), print what they do, and store them in the model.

The held-out predictions are a ``.npz`` with ``log_probs`` (n, classes): the log of the
probabilities at temperature 1 of examples the network never trained on, ``labels`` (n,) and,
when the examples come from known writers, ``writers`` (n,). ``python -m nn writers --out DIR``
writes such a file (``DIR/oof.npz``): each writer's digits read by a model trained without
them. Those fold models are trained like the final one, so the temperature that makes their
answers honest is stored in the final model.
"""

import zipfile

import numpy as np

from nn.cli.args import emit_json, model_file, path_text
from nn.files.modelfile import check_can_save, check_not_read, load_model, save_model
from nn.network.errors import DataError
from nn.training.calibration import BINS, calibrate

MAX_EXAMPLES = 1_000_000   # 7,494 pen digits in nn writers' oof.npz; MNIST's 70,000 at most
TARGETS = {"ece": 0.01, "misreads_unsure": 0.60, "correct_unsure": 0.02}   # the goals


def add_calibrate_arguments(parser):
    parser.add_argument("model", type=model_file,
                        help="the model file to calibrate, or 'bundled'")
    parser.add_argument("--held-out", required=True, type=path_text, metavar="OOF.npz",
                        help="held-out predictions: log_probs (n, classes) at temperature 1 of "
                             "examples the network never trained on, labels (n,) and, if known, "
                             "writers (n,); python -m nn writers --out DIR writes DIR/oof.npz")
    parser.add_argument("--out", type=path_text, metavar="MODEL",
                        help="write the calibrated model here (it may be MODEL itself); "
                             "without it nothing is written")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def cmd_calibrate(args, out):
    model = load_model(args.model)
    if args.out:
        check_can_save(args.out)
        check_not_read(args.out, [args.held_out])
    scores, labels, writers = load_held_out(args.held_out, len(model.class_names))
    try:
        result = calibrate(scores, labels, writers)
    except ValueError as e:   # too few examples, or none read right
        raise DataError(f"{args.held_out}: cannot calibrate on it: {e}.") from None
    if args.out:
        model.set_calibration(result.temperature, result.unsure_below)
        save_model(args.out, model)
    figures = {
        "model": args.model, "held_out": args.held_out, "examples": result.examples,
        "writers": None if writers is None else len(np.unique(writers)),
        "accuracy": result.accuracy, "temperature": result.temperature,
        "unsure_below": result.unsure_below, "ece_bins": BINS,
        "ece_before": result.before.ece, "ece_after": result.after.ece,
        "misreads_unsure": _number(result.misreads_unsure),
        "correct_unsure": _number(result.correct_unsure),
        "writer_cross_checked": result.cross_checked, "targets": TARGETS,
        "reliability_after": [
            {"from": float(low), "to": float(high), "confidence": _number(c),
             "accuracy": _number(a), "count": int(n)}
            for low, high, c, a, n in zip(result.after.edges[:-1], result.after.edges[1:],
                                          result.after.confidence, result.after.accuracy,
                                          result.after.count)],
        "saved": args.out,
    }
    if args.json:
        emit_json(out, figures)
    else:
        print(report(figures), file=out)


def report(f):
    """The figures as a few lines of text."""
    how = ("each writer measured with a calibration fitted on other writers"
           if f["writer_cross_checked"] else "measured on the examples it was fitted on")
    who = f" by {f['writers']} writers" if f["writers"] else ""

    def share(v):
        return "n/a" if v is None else f"{v:.1%}"

    return "\n".join([
        f"{f['model']}: calibrated on {f['examples']:,} held-out examples{who}, "
        f"{f['accuracy']:.2%} read right",
        f"  temperature               {f['temperature']:.3f}",
        f"  calibration error (ECE)   {f['ece_before']:.2%} before, {f['ece_after']:.2%} after "
        f"(target <= {TARGETS['ece']:.0%}; {f['ece_bins']} equal-width bins)",
        f"  unsure below              {f['unsure_below']:.0%}",
        f"  misreads shown unsure     {share(f['misreads_unsure'])} "
        f"(target >= {TARGETS['misreads_unsure']:.0%})",
        f"  right reads shown unsure  {share(f['correct_unsure'])} "
        f"(target <= {TARGETS['correct_unsure']:.0%})",
        f"  (after calibration: {how})",
        f"  saved {f['saved']}" if f["saved"] else
        "  nothing written: add --out FILE to store the calibration in a model",
    ])


def load_held_out(path, classes):
    """(log_probs (n, classes) float64, labels (n,) int64, writers (n,) int64 or None) from
    the held-out predictions at ``path``; DataError naming the file and the problem."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("log_probs", "labels") if k not in f.files]
            if missing:
                raise DataError(f"{path} holds no {' and no '.join(missing)}: it is not a file "
                                "of held-out predictions (python -m nn writers --out DIR writes "
                                "one).")
            arrays = {k: f[k] for k in ("log_probs", "labels", "writers") if k in f.files}
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; give the held-out predictions' file.") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{path} is not a NumPy .npz file of held-out predictions "
                        f"({' '.join(str(e).split())[:100]}).") from None
    log_probs, labels = arrays["log_probs"], arrays["labels"]
    n = len(labels) if labels.ndim == 1 else -1
    if not 0 < n <= MAX_EXAMPLES:
        raise DataError(f"{path}: labels must be one list of 1 to {MAX_EXAMPLES:,} labels, not "
                        f"shape {labels.shape}.")
    if log_probs.shape != (n, classes) or log_probs.dtype.kind != "f":
        raise DataError(f"{path}: log_probs must be ({n}, {classes}) numbers, one row per label "
                        f"and one column per class of the model, not {log_probs.dtype} of shape "
                        f"{log_probs.shape}.")
    if not np.isfinite(log_probs).all() or (log_probs > 1e-3).any():
        raise DataError(f"{path}: log_probs hold NaN, infinities or numbers above 0: they are not "
                        "the log of probabilities (floor a probability of 0, as log(max(p, "
                        "1e-30)) does).")
    # Each row is the log of probabilities that add up to 1 (a row of -1e308 would not).
    if (np.abs(np.logaddexp.reduce(log_probs.astype(np.float64), axis=1)) > 1e-2).any():
        raise DataError(f"{path}: a row of log_probs is not the log of probabilities that add "
                        "up to 1.")
    for name, a in (("labels", labels), ("writers", arrays.get("writers", labels))):
        if a.shape != (n,) or a.dtype.kind not in "iu":
            raise DataError(f"{path}: {name} must be {n} whole numbers, not {a.dtype} of shape "
                            f"{a.shape}.")
    if labels.min() < 0 or labels.max() >= classes:
        raise DataError(f"{path}: labels must be classes 0 to {classes - 1}.")
    writers = arrays.get("writers")
    return (log_probs.astype(np.float64), labels.astype(np.int64),
            None if writers is None else writers.astype(np.int64))


def _number(v):
    """A float for JSON, None for NaN (an empty bin, no misreads)."""
    return None if np.isnan(v) else float(v)
