"""Learning-rate schedules: the learning rate as a function of training progress.

Progress is measured in epochs as a float (2.5 = halfway through the third epoch), so a
schedule means the same thing whatever the batch size.
"""

import math

SCHEDULES = ("constant", "step", "cosine")


def learning_rate(base_lr, schedule, epoch, total_epochs, warmup_epochs=0.0,
                  step_every=1, step_gamma=0.5):
    """The learning rate at fractional ``epoch`` in [0, total_epochs].

    - ``constant``: always ``base_lr``;
    - ``step``: multiplied by ``step_gamma`` every ``step_every`` whole epochs;
    - ``cosine``: follows half a cosine from ``base_lr`` down to 0 at the last epoch.

    Any schedule can start with a linear warm-up from 0 over ``warmup_epochs``, which keeps
    the first large, noisy updates of adaptive optimizers from throwing the weights far off.
    """
    if warmup_epochs > 0 and epoch < warmup_epochs:
        return base_lr * epoch / warmup_epochs
    if schedule == "constant":
        return base_lr
    if schedule == "step":
        return base_lr * step_gamma ** int(epoch // step_every)
    if schedule == "cosine":
        span = max(total_epochs - warmup_epochs, 1e-9)
        progress = min(max((epoch - warmup_epochs) / span, 0.0), 1.0)
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"unknown schedule {schedule!r}: use one of {', '.join(SCHEDULES)}")
