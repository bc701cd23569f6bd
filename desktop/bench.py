"""The GUI speed budget, measured on this machine: ``python -m desktop.bench [--json]``.

1. Launch: seconds from starting ``python -m desktop`` to its window being shown (target 1.5).
2. Pen-up to prediction: real mouse strokes on the Draw tab's pad; time from the release
   event to ``prediction_changed`` (p95, target 16 ms), and to the screen being repainted,
   which includes the saliency map (ink shares): it is computed in the event-loop turn after
   the answer (``with_saliency_map`` counts the strokes that asked for one). Also the median
   time of an occlusion map of the last drawing (outside the budget: the Draw tab draws that
   view after the answer).
3. During a training run (the cnn preset, the bundled model's network, on 30,000 real MNIST
   examples, stopped after 10 s): the largest gap between ticks of a precise 2 ms QTimer on
   the GUI thread, which bounds the longest stall of the event loop within 2 ms (target
   33 ms: two frames at 60 Hz), and how often the loss curves change (target at least 5
   times a second). The Train tab is shown with its gradient plot, which is redrawn as well
   (how many points it got is reported); it is on screen for half a second before Start, as
   it is for a user who presses Start. ``--preset mlp`` measures the same for a dense network.

``python -m desktop.bench --handwriting [--limit N] [--json]`` measures instead how well the app
reads handwriting: N held-out MNIST test digits (default 1,000, a seeded choice) traced into pen
strokes and replayed with real mouse events on the Draw tab's pad in each way people draw
(`nn.ink.ways`), with the model the app starts with; it prints the accuracy of each way.

``--writers [--model FOLD.npz] [--limit N]`` replays real people's pen digits, of the writers
the model never saw, on the Draw tab (desktop/bench_writers.py).

``--numbers [--limit N] [--fold-models DIR]`` instead writes numbers on the Number tab's pad with
real mouse events (desktop/number/replay.py) and reports how many it reads exactly, how many it
splits into the right count of digits and the pen-up time of the 6-digit ones: N numbers of 3-6
MNIST test digits traced into strokes (default 1,000), then N numbers each written by one of the
30 real pen writers with their own digits (`nn.ink.written_numbers.writer_numbers`), when the pen
data is found (as `nn.data.unipen.find_pendigits` looks for it). A writer must never have been
seen by the model that reads them: the writers are split into `nn.training.writers.writer_folds`
and, with ``--fold-models DIR``, fold k's numbers are read by ``DIR/fold{k}.npz`` (trained
without fold k's writers); without it, by the app's model, which is right only for a model
trained on none of them (the bundled MNIST one). With ``--touching`` the digits of each number
are written so close that their inks meet (`nn.ink.written_numbers.TOUCHING`).

Runs offscreen when there is no display; it uses a private settings folder, never the user's.
"""

import json
import os
import statistics
import sys
import time

# isort: off
# first: through desktop.app it sets NumPy's threads as the app does
from desktop.bench_speed import (STROKES, TICK_MS, TRAIN_EPOCHS, TRAIN_LIMIT, TRAIN_SECONDS,
                                 measure_launch, measure_pen_up, measure_training, occlusion_ms)
import numpy as np  # noqa: E402
from desktop.bench_common import figure, private_home, shown_window  # noqa: E402
from desktop.bench_reading import (HANDWRITING_DIGITS, NUMBERS, run_handwriting,  # noqa: E402
                                   run_numbers)
from desktop.bench_writers import report as writers_report, run_writers  # noqa: E402
from nn.cli.args import EXIT_USER_ERROR, Parser, whole_number  # noqa: E402
from nn.network.errors import DigitLabError  # noqa: E402
from nn.training.presets import PRESETS  # noqa: E402
# isort: on

MAX_LIMIT = 100_000   # --limit: digits or numbers; MNIST's test set has 10,000


def run_writers_bench(model_path, limit):
    """Real writers' pen digits on the Draw tab (desktop/bench_writers.py); figures as a dict."""
    with private_home(), shown_window(small=True) as window:
        start = time.perf_counter()
        results = run_writers(window, model_path, limit)
    results["seconds"] = round(time.perf_counter() - start, 1)
    return results


def run(data_dir, preset="cnn"):
    """The GUI speed budget: launch, pen-up to prediction, the event loop while a network
    trains."""
    from nn.data.datasets import MNIST, find_data_dir
    from nn.network.errors import DataError

    try:
        data_dir = find_data_dir(MNIST, data_dir)
    except DataError as error:
        data_dir, data_error = None, str(error)
    with private_home():
        results = {"platform": os.environ.get("QT_QPA_PLATFORM", "default"),
                   "cpus": os.cpu_count(),
                   # Other work on the machine inflates every figure here: report how busy it was.
                   "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
        launches = measure_launch(dict(os.environ))
        results["launch_seconds"] = figure("launch_seconds", statistics.median(launches),
                                           runs=[round(t, 3) for t in launches])
        with shown_window() as window:
            results.update(_window_figures(window, data_dir, preset))
    if data_dir is None:
        results["training"] = f"skipped: {data_error}"
    return results


def _window_figures(window, data_dir, preset):
    """Pen-up to prediction on the shown window's Draw tab, then its event loop while
    ``preset`` trains on the MNIST of ``data_dir`` (when there is one)."""
    if window.active_model is None:  # no bundled model yet: one as costly as the mlp preset
        from nn.network.model import Model

        window.set_active_model(Model.from_architecture(PRESETS["mlp"].architecture))
    results = {"model": window.active_model.summary()}
    to_signal, to_screen, explained = measure_pen_up(window, np.random.default_rng(0))
    results["pen_up_to_prediction_p95_ms"] = figure(
        "pen_up_to_prediction_p95_ms", float(np.percentile(to_signal, 95)),
        median_ms=round(float(np.median(to_signal)), 3),
        repainted_p95_ms=round(float(np.percentile(to_screen, 95)), 3), strokes=STROKES,
        with_saliency_map=explained)
    results["occlusion_map_median_ms"] = round(occlusion_ms(window), 2)
    if data_dir is not None:
        gap, rate, seconds, outcome, gradient_points = measure_training(window, data_dir, preset)
        run_info = {"seconds": round(seconds, 2), "outcome": outcome, "train_limit": TRAIN_LIMIT,
                    "epochs": TRAIN_EPOCHS, "stop_after_s": TRAIN_SECONDS, "preset": preset,
                    "gradient_plot_points": gradient_points}
        results["training_max_event_loop_gap_ms"] = figure(
            "training_max_event_loop_gap_ms", gap, tick_ms=TICK_MS, **run_info)
        results["training_curve_updates_per_second"] = figure(
            "training_curve_updates_per_second", rate)
    return results


def main(argv=None):
    parser = Parser(prog="python -m desktop.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data", help="folder with the MNIST files (default: found as usual)")
    parser.add_argument("--preset", choices=PRESETS, default="cnn",
                        help="the network trained while the event loop is watched")
    parser.add_argument("--handwriting", action="store_true",
                        help="measure how well the Draw tab reads held-out handwriting instead")
    parser.add_argument("--numbers", action="store_true",
                        help="measure how well the Number tab reads written numbers instead")
    parser.add_argument("--writers", action="store_true",
                        help="measure how well the Draw tab reads real people's pen digits, "
                             "by a model that never saw those writers")
    parser.add_argument("--model", metavar="FILE",
                        help="with --writers: the model to read with (default: the bundled one)")
    parser.add_argument("--fold-models", metavar="DIR",
                        help="with --numbers: read the real writers of fold k with "
                             "DIR/fold{k}.npz, a model trained without them")
    parser.add_argument("--touching", action="store_true",
                        help="with --numbers: write each number's digits so close that they "
                             "touch")
    parser.add_argument("--limit", type=whole_number(1, MAX_LIMIT), metavar="N",
                        help=f"with --handwriting: how many test digits to replay (default "
                             f"{HANDWRITING_DIGITS:,}); with --numbers: how many numbers of "
                             f"each kind to write (default {NUMBERS:,})")
    args = parser.parse_args(argv)
    try:
        return _measure(args)
    except DigitLabError as error:   # no data, a model file that cannot be read, ...
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _measure(args):
    """Run the benchmark ``args`` ask for, print its figures; the exit status."""
    if args.writers:
        results = run_writers_bench(args.model, args.limit)
        print(json.dumps(results, indent=2) if args.json else writers_report(results))
        return 0
    if args.handwriting:
        results = run_handwriting(args.data, args.limit or HANDWRITING_DIGITS)
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            print(f"{results['model']}\n{results['digits']} held-out digits, "
                  f"{results['seconds']} s")
            for way, accuracy in results["accuracy"].items():
                print(f"  {way:<20} {accuracy:.1%}")
        return 0
    if args.numbers:
        results = run_numbers(args.data, args.limit or NUMBERS, args.fold_models, args.touching)
    else:
        results = run(args.data, args.preset)
    figures = list(_flat(results))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, value in figures:
            if isinstance(value, dict) and "ok" in value:
                mark = "ok  " if value["ok"] else "MISS"
                print(f"{mark} {name}: {value['value']} (target {value['comparison']} "
                      f"{value['target']})")
            else:
                print(f"     {name}: {value}")
    return 0 if all(f["ok"] for _, f in figures if isinstance(f, dict) and "ok" in f) else 1


def _flat(results, prefix=""):
    """(name, value) of every figure, those of a part (a dict of figures) named part.figure."""
    for name, value in results.items():
        if isinstance(value, dict) and "ok" not in value and any(
                isinstance(v, dict) and "ok" in v for v in value.values()):
            yield from _flat(value, f"{prefix}{name}.")
        else:
            yield prefix + name, value


if __name__ == "__main__":
    sys.exit(main())
