"""The command line as a user runs it: a subprocess, exit codes, stdout and stderr."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from nn.cli.commands import build_parser
from nn.files.bundled import bundled_model_path
from nn.files.modelfile import load_model, save_model


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nn", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def assert_user_error(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_missing_model_file_is_one_line_and_status_2(tmp_path):
    assert_user_error(run("info", tmp_path / "nope.npz"), "nope.npz", "does not exist")


def test_the_former_preset_name_seed_still_selects_the_notebook_preset():
    parser = build_parser()
    assert parser.parse_args(["train", "--preset", "seed"]).preset == "notebook"
    assert parser.parse_args(["bench", "--preset", "seed"]).preset == "notebook"


def test_corrupt_model_file_is_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"definitely not a zip archive")
    assert_user_error(run("evaluate", bad), "bad.npz", "not a NumPy .npz archive")


def test_bad_flag_exits_2_without_traceback():
    result = run("train", "--preset", "no-such-preset")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "invalid choice" in result.stderr


def test_missing_data_names_the_files(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(run("train", "--data", empty, "--epochs", "1"),
                      "train-images-idx3-ubyte")


@pytest.mark.parametrize("flags, words", [
    (["evaluate", "bundled", "--data", "~no-such-user-digitlab/mnist"], ["does not hold"]),
    (["evaluate", "bundled", "--data", "m" * 300], ["300 bytes long"]),
])
def test_a_data_folder_no_folder_could_be_is_one_line_and_status_2(tmp_path, flags, words):
    # ~user of no one raised RuntimeError from Path.expanduser, a name part past 255 bytes
    # OSError from Path.is_dir: both printed a traceback.
    assert_user_error(run(*flags, cwd=tmp_path), *words)



def test_train_evaluate_info_with_json(tmp_path, mnist_dir):
    model = tmp_path / "small.npz"
    result = run("train", "--preset", "mlp", "--epochs", "1", "--limit", "3000",
                 "--data", mnist_dir, "--out", model, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # exactly one JSON object on stdout
    assert set(report) >= {"test_accuracy", "seconds", "history"}
    assert len(report["history"]) == 1 and report["test_accuracy"] > 0.8
    assert model.is_file()

    evaluated = json.loads(run("evaluate", model, "--data", mnist_dir, "--limit", "3000",
                               "--json").stdout)
    assert evaluated["test_accuracy"] == pytest.approx(report["test_accuracy"])
    confusion = evaluated["confusion_matrix"]
    assert len(confusion) == 10 and sum(map(sum, confusion)) == 3000

    info = json.loads(run("info", model, "--json").stdout)
    assert info["parameters"] == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
    assert info["architecture"] == "784-512-256-10 ReLU" and info["optimizer_state"] is True

    text = run("evaluate", model, "--data", mnist_dir, "--limit", "3000")
    assert text.returncode == 0 and "confusion matrix" in text.stdout


def test_bench_reports_time_and_accuracy(mnist_dir):
    result = run("bench", "--preset", "notebook", "--epochs", "5", "--limit", "2000",
                 "--data", mnist_dir, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["numpy"]["test_accuracy"]) == 5
    assert report["numpy"]["seconds_per_epoch"] > 0 and report["peak_memory_mb"] > 0
    assert report["numpy"]["batch_parts"] == 1  # a dense network: BLAS already uses every core


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
@pytest.mark.parametrize("cores", [1, 2])
def test_bench_of_a_cnn_splits_its_batches_over_the_cores(mnist_dir, cores):
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < cores:
        pytest.skip(f"this machine lets the tests use {len(allowed)} core(s)")
    result = subprocess.run(
        [sys.executable, "-m", "nn", "bench", "--preset", "cnn-16-32", "--epochs", "1",
         "--limit", "1000", "--data", mnist_dir],
        capture_output=True, text=True, timeout=300, check=False,
        preexec_fn=lambda: os.sched_setaffinity(0, allowed[:cores]))
    assert result.returncode == 0, result.stderr
    assert f"batches split in {cores}," in result.stdout


def test_bench_vs_torch_without_torch_says_how_to_get_it(mnist_dir, tmp_path):
    # A torch that cannot be imported, as on a machine without PyTorch.
    (tmp_path / "torch.py").write_text("raise ImportError('No module named torch')\n")
    result = subprocess.run(
        [sys.executable, "-m", "nn", "bench", "--preset", "mlp-256-128", "--epochs", "1",
         "--limit", "500", "--data", mnist_dir, "--vs", "torch"],
        capture_output=True, text=True, timeout=300,
        env=os.environ | {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])})
    assert_user_error(result, "--vs torch needs PyTorch", "pip install torch")


def test_bench_vs_torch_compares_the_same_network(mnist_dir):
    pytest.importorskip("torch", reason="PyTorch is optional; --vs torch needs it")
    result = run("bench", "--preset", "cnn-16-32", "--epochs", "1", "--limit", "6000",
                 "--data", mnist_dir, "--vs", "torch", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    numpy_side, torch_side = report["numpy"], report["torch"]
    assert report["ratio_numpy_over_torch"] == pytest.approx(
        numpy_side["seconds_per_epoch"] / torch_side["seconds_per_epoch"])
    # After one epoch on a few thousand images, both sides have learnt the same network.
    assert numpy_side["final_test_accuracy"] > 0.7 and torch_side["final_test_accuracy"] > 0.7
    assert set(torch_side["seconds_to"]) == set(numpy_side["seconds_to"]) >= {"98.0%", "99.2%"}


def test_bench_roofline_reports_each_layer_and_phase_against_its_floor(mnist_dir):
    result = run("bench", "--preset", "cnn-16-32", "--epochs", "1", "--limit", "600",
                 "--data", mnist_dir, "--roofline", "--json")
    assert result.returncode == 0, result.stderr
    roof = json.loads(result.stdout)["roofline"]
    assert roof["gemm_gflops"] > 0 and roof["bandwidth_gbps"] > 0
    assert list(roof["layers"])[:2] == ["0:Conv2D", "1:MaxPool2D"]
    assert roof["layers"]["3:Conv2D"]["flops"] > roof["layers"]["7:Dense"]["flops"] > 0
    for phase in ("im2col", "gemm", "col2im", "pooling", "activation", "optimizer", "data"):
        figures = roof["phases"][phase]
        assert figures["floor_seconds"] > 0 and figures["achieved_seconds"] > 0, phase
    assert roof["epoch"]["flops"] == sum(r["flops"] for r in roof["layers"].values())
    assert roof["bench_epoch_over_floor"] > 0


def test_bench_vs_notebook_times_the_notebooks_own_code(mnist_dir):
    result = run("bench", "--preset", "notebook", "--epochs", "3", "--limit", "1500",
                 "--data", mnist_dir, "--vs", "notebook")
    assert result.returncode == 0, result.stderr
    assert "the notebook's code:" in result.stdout and "ratio numpy/notebook" in result.stdout
    other = run("bench", "--preset", "mlp", "--epochs", "1", "--limit", "300",
                "--data", mnist_dir, "--vs", "notebook")
    assert_user_error(other, "--vs notebook", "--preset notebook")


# --- how the command names itself, and the bundled model -----------------------------------

REPOSITORY = Path(__file__).resolve().parents[2]
SUBCOMMANDS = ["train", "evaluate", "info", "download", "bench", "export"]


def test_help_and_version_name_python_m_nn_and_show_no_markdown(capsys):
    result = run("--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m nn [-h]")
    assert "`" not in result.stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"python -m nn {nn.__version__}"
    for command in SUBCOMMANDS:   # in this process, whose argv[0] is not digitlab-cli either
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args([command, "--help"])
        text = capsys.readouterr().out
        assert exited.value.code == 0 and text.startswith(f"usage: python -m nn {command}")
        assert "`" not in text, command


def test_the_installed_script_calls_itself_digitlab_cli(tmp_path):
    # What pip writes for the console script of pyproject.toml: digitlab-cli = "nn.cli:main".
    script = tmp_path / "bin" / "digitlab-cli"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom nn.cli import main\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)
    env = os.environ | {"PYTHONPATH": str(REPOSITORY)}
    for args, expected in ([["--help"], "usage: digitlab-cli [-h]"],
                           [["--version"], f"digitlab-cli {nn.__version__}"],
                           [["info", "--help"], "usage: digitlab-cli info"]):
        result = subprocess.run([script, *args], capture_output=True, text=True, env=env,
                                timeout=60)
        assert result.returncode == 0 and result.stdout.startswith(expected), result.stderr
    wrong = subprocess.run([script, "info"], capture_output=True, text=True, env=env, timeout=60)
    assert wrong.returncode == 2 and "see digitlab-cli info --help" in wrong.stderr


def test_info_of_the_bundled_model_shows_its_training_settings():
    result = run("info", "bundled")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert Path(lines[0]) == bundled_model_path()
    settings = lines[lines.index("  training settings") + 1:]
    saved = load_model(bundled_model_path()).info["config"]
    assert len(settings) == len(saved)
    assert f"    learning rate            {saved['learning_rate']:g}" in settings
    assert any(line.split()[:2] == ["batch", "size"] and line.split()[2] == str(
        saved["batch_size"]) for line in settings)


def test_info_prints_text_from_the_file_with_its_escapes_visible(tmp_path):
    # A file's free text must not add lines to the report or drive the terminal.
    model = load_model(bundled_model_path())
    model.info = model.info | {"created": "today\n  can resume    yes\x1b[2J\x1b]0;owned\x07"}
    save_model(tmp_path / "odd.npz", model)

    result = run("info", tmp_path / "odd.npz")

    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    created = [line for line in result.stdout.splitlines() if "created" in line]
    assert len(created) == 1 and "today\\n  can resume" in created[0]
    assert sum("can resume" in line for line in result.stdout.splitlines()) == 2


def test_every_command_that_takes_a_model_takes_the_word_bundled():
    parser = build_parser()
    path = str(bundled_model_path())
    assert parser.parse_args(["info", "bundled"]).model == path
    assert parser.parse_args(["evaluate", "bundled"]).model == path
    assert parser.parse_args(["export", "bundled", "out.onnx"]).model == path
    assert parser.parse_args(["train", "--resume", "bundled"]).resume == path
    assert parser.parse_args(["info", "./bundled"]).model == "./bundled"   # a file so named


def test_a_limited_evaluation_says_how_many_test_images_it_measured(mnist_dir):
    text = run("evaluate", "bundled", "--data", mnist_dir, "--limit", "200")
    assert text.returncode == 0, text.stderr
    assert "on the first 200 mnist test images only (--limit)" in text.stdout.splitlines()[0]
    report = json.loads(run("evaluate", "bundled", "--data", mnist_dir, "--limit", "200",
                            "--json").stdout)
    assert report["test_images"] == 200 and report["limit"] == 200
