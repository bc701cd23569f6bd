"""The Train tab's live view: however many records a run sends, the event loop redraws a few
times a second."""

from desktop.train.live_view import LiveView
from nn.training.progress import BatchProgress

BATCHES = 200   # a batch of each epoch: the notebook preset sends hundreds a second


def batch(i, epochs=2):
    return BatchProgress(epoch=i / BATCHES, epochs=epochs, loss=1 / i, accuracy=0.5,
                         learning_rate=0.01, samples_per_second=1000.0, elapsed=i / 1000,
                         eta=1.0)


def test_a_burst_of_batches_moves_the_progress_bar_once_to_the_newest(qtbot):
    view = LiveView()
    qtbot.addWidget(view)
    view.show()
    view.start(epochs=2)
    values = []
    view.progress.valueChanged.connect(values.append)
    for i in range(1, 2 * BATCHES + 1):
        view.add_batch(batch(i))
    assert values == []   # a batch only joins the buffers: no repaint per batch
    qtbot.waitUntil(lambda: values != [], timeout=1000)   # the next redraw shows the newest
    assert values == [view.progress.maximum()]
    assert view.progress.format().startswith("Epoch 2/2")
    view.finish()
