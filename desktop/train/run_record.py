"""What the run history keeps of a training run that ended: one `Run` row."""

from datetime import datetime

from desktop.storage.runs import Run
from nn.network.model import describe


def run_of_training(job, model, result, form, seconds):
    """The Run of a finished or stopped training: ``job`` the TrainingJob it ran, ``model`` the
    trained Model (info filled), ``result`` nn.training.train's TrainResult, ``form`` the Train
    form's state when it started, ``seconds`` of training."""
    kind = "continue" if job.base_model is not None else "new"
    return Run(
        created=datetime.now().astimezone().isoformat(timespec="seconds"), kind=kind,
        status="stopped" if result.stopped else "finished", name=str(model.info.get("name", "")),
        network=describe(model.architecture()), dataset=job.dataset,
        epochs=len(result.history), accuracy=model.info.get("test_accuracy"),
        seconds=float(seconds), parameters=int(model.n_params),
        settings={"config": job.config.to_dict(), "architecture": model.architecture(),
                  "form": form})
