"""``python -m nn bench --roofline``: how close training comes to what the CPU can do.

Three measurements side by side:

- the machine: its rate on one large float32 matrix product (all cores) and its memory
  bandwidth (a copy per core, at once, of arrays the size of a training step's largest ones,
  which the caches partly hold just as they do in training);
- the work: FLOPs and bytes of one epoch, per layer and phase (``nn.network.cost``), and the
  floor they set at those rates;
- the achieved time of each layer and phase, from a few training steps taken one layer at a
  time on a copy of the model, the way training takes them: with one BLAS thread, on one
  core's part of each batch (``nn.network.parallel``), the parts running at the same time.
  A convolution's im2col and col2im are timed on their own and the rest of its time is its
  matrix products.

Achieved / floor near 1 means that phase is done; a large ratio says where the time goes.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from nn.ink.augment import augment_batch
from nn.network.conv import Conv2D, MaxPool2D, ReusedBuffer, col2im, im2col, pad_chwn
from nn.network.cost import PHASES, epoch_costs, total
from nn.network.layers import Dense
from nn.network.losses import softmax_cross_entropy
from nn.network.parallel import available_cores, parts_for
from nn.training.train import make_optimizer
from nn.training.validation import Examples

GEMM_SIZE = 1536          # the large product: (n x n) @ (n x n), 2 n^3 FLOPs
COPY_BYTES = 4 * 2**20    # per core: a patch matrix or a batch of images
REPEATS = 5               # machine measurements keep the best of these
STEPS = 8                 # training steps profiled; each phase keeps its median


def best_seconds(work, repeats=REPEATS):
    """The shortest of ``repeats`` timings of ``work()`` (the others were disturbed)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def machine_rates():
    """(FLOP/s of a large float32 matrix product, bytes/s of memory copies on every core)."""
    rng = np.random.default_rng(0)
    a = rng.random((GEMM_SIZE, GEMM_SIZE), dtype=np.float32)
    gemm = 2 * GEMM_SIZE**3 / best_seconds(lambda: a @ a)
    cores = available_cores()
    sources = [np.ones(COPY_BYTES // 4, np.float32) for _ in range(cores)]
    targets = [np.empty_like(s) for s in sources]
    with ThreadPoolExecutor(cores) as pool:
        def copy_all():
            list(pool.map(np.copyto, targets, sources))
        seconds = best_seconds(copy_all)
    return gemm, 2 * COPY_BYTES * cores / seconds  # each copy reads and writes its bytes


def profile_step(model, xb, yb, optimizer, augmentation, rng, buffers):
    """{row name: {phase: seconds}} of one training step on (xb, yb), layer by layer;
    ``buffers`` keeps a patch matrix per convolution from step to step, as training does."""
    times = {}

    def timed(row, phase, work):
        start = time.perf_counter()
        result = work()
        row_times = times.setdefault(row, dict.fromkeys(PHASES, 0.0))
        row_times[phase] += time.perf_counter() - start
        return result

    names = [f"{i}:{type(layer).__name__}" for i, layer in enumerate(model.layers)]
    if augmentation is not None:
        xb = timed("data", "data", lambda: augment_batch(xb, augmentation, rng))
    x, inputs = xb, []
    for name, layer in zip(names, model.layers):
        inputs.append(x)
        x = timed(name, phase_of(layer), lambda: layer.forward(x, training=True))
    _, _, g = timed("loss", "loss", lambda: softmax_cross_entropy(x, yb))
    for i in reversed(range(len(model.layers))):
        layer, name = model.layers[i], names[i]
        g = timed(name, phase_of(layer), lambda: layer.backward(g, need_input_grad=i > 0))
        if isinstance(layer, Conv2D):
            split_convolution(times[name], layer, inputs[i], i == 0,
                              buffers.setdefault(name, ReusedBuffer()))
    timed("optimizer", "optimizer", lambda: optimizer.step(1e-9))
    return times


def phase_of(layer):
    if isinstance(layer, (Conv2D, Dense)):
        return "gemm"
    return "pooling" if isinstance(layer, MaxPool2D) else "activation"


def split_convolution(row, layer, x, first, buffer):
    """Move the time of the convolution's im2col (and col2im) out of its "gemm" total, timing
    them again on their own on the same shapes."""
    start = time.perf_counter()
    cols = im2col(pad_chwn(x, layer.pad), layer.k, buffer)
    row["im2col"] += time.perf_counter() - start
    if not first:
        start = time.perf_counter()
        col2im(cols, x.shape, layer.k, layer.pad)
        row["col2im"] += time.perf_counter() - start
    row["gemm"] -= row["im2col"] + row["col2im"]


def achieved_seconds(model, x, y, config):
    """({row name: {phase: seconds per epoch}}, examples trained on, batch size, parts): each
    figure is the median of ``STEPS`` profiled steps times the number of steps per epoch, each
    step on one core's part of a batch."""
    rng = np.random.default_rng(config.seed)
    examples = Examples(x, y, model.input_shape, config, rng)
    parts = parts_for(model, examples.batch_size)
    part = -(-examples.batch_size // parts)
    twin = model.weights_copy()
    optimizer = make_optimizer(twin, config)
    shuffle = best_seconds(lambda: examples.shuffle(rng), repeats=1)
    with threadpool_limits(1, user_api="blas"):
        steps, buffers = [], {}
        for xb, yb in examples.batches():
            steps.append(profile_step(twin, xb[:part], yb[:part], optimizer,
                                      config.augmentation, rng, buffers))
            if len(steps) == STEPS:
                break
    per_epoch = examples.n_batches
    rows = {name: {p: float(np.median([s[name][p] for s in steps])) * per_epoch for p in PHASES}
            for name in steps[0]}
    rows.setdefault("data", dict.fromkeys(PHASES, 0.0))["data"] += shuffle
    return rows, examples.n, examples.batch_size, parts


def roofline(model, x, y, config):
    """The report: machine rates, and per layer and per phase the FLOPs and bytes of one
    epoch, its floor in seconds and the achieved seconds."""
    gemm, bandwidth = machine_rates()
    achieved, n_train, batch_size, parts = achieved_seconds(model, x, y, config)
    costs = epoch_costs(model, n_train, batch_size, config.optimizer,
                        config.augmentation is not None)

    def figures(cost, seconds):
        floor = sum(cost.floor(gemm, bandwidth).values())
        return {"flops": sum(cost.flops.values()), "bytes": sum(cost.bytes.values()),
                "floor_seconds": floor, "achieved_seconds": seconds,
                "achieved_over_floor": seconds / floor if floor else None}

    layers = {name: figures(cost, sum(achieved.get(name, {}).values())) for name, cost in costs}
    everything = total(costs)
    floors = everything.floor(gemm, bandwidth)
    phases = {}
    for p in PHASES:
        seconds = sum(row[p] for row in achieved.values())
        phases[p] = {"flops": everything.flops[p], "bytes": everything.bytes[p],
                     "floor_seconds": floors[p], "achieved_seconds": seconds,
                     "achieved_over_floor": seconds / floors[p] if floors[p] else None}
    epoch = figures(everything, sum(sum(row.values()) for row in achieved.values()))
    return {"gemm_gflops": gemm / 1e9, "bandwidth_gbps": bandwidth / 1e9,
            "train_images": n_train, "batch_size": batch_size, "batch_parts": parts,
            "layers": layers, "phases": phases, "epoch": epoch}


def print_roofline(report, out):
    print(f"roofline: large float32 GEMM {report['gemm_gflops']:.0f} GFLOP/s, memory "
          f"{report['bandwidth_gbps']:.1f} GB/s; one epoch of {report['train_images']:,} images, "
          f"batch {report['batch_size']} in {report['batch_parts']} part(s)", file=out)
    print(f"  {'':14} {'GFLOP':>8} {'MB':>8} {'floor s':>8} {'took s':>8} {'took/floor':>10}",
          file=out)
    for title, rows in (("per layer", report["layers"]), ("per phase", report["phases"]),
                        ("", {"epoch": report["epoch"]})):
        if title:
            print(f"  {title}:", file=out)
        for name, r in rows.items():
            ratio = r["achieved_over_floor"]
            print(f"  {name:14} {r['flops'] / 1e9:8.2f} {r['bytes'] / 2**20:8.0f} "
                  f"{r['floor_seconds']:8.3f} {r['achieved_seconds']:8.3f} "
                  + ("-" if ratio is None else f"{ratio:10.1f}"), file=out)
