"""nerkit.hardware's precision switch as training and prediction use it: bf16 against fp32,
the hardware's choice for "auto", bad values refused (moved from the old tests/test_speed_paths.py).
"""

import pytest
import torch

import nerkit
from nerkit import hardware
from nerkit.cli import main
from nerkit.errors import ConfigError
from nerkit.hardware import use_bf16
from nerkit.training.config import TrainConfig


def test_bf16_gives_the_same_tags_as_fp32(trained_tiny, tiny_data):
    fp32 = nerkit.predict(trained_tiny, tiny_data, precision="fp32", probabilities=True)
    bf16 = nerkit.predict(trained_tiny, tiny_data, precision="bf16", probabilities=True)
    words = sum(len(s) for s in fp32.tags)
    same = sum(a == b for x, y in zip(fp32.tags, bf16.tags) for a, b in zip(x, y))
    assert same / words >= 0.95
    # bf16 keeps about 3 significant digits: probabilities agree to a few hundredths, not exactly
    worst = max(abs(p - q).max() for p, q in zip(fp32.probabilities, bf16.probabilities))
    assert 0 < worst < 0.05


def test_bf16_training_keeps_fp32_master_weights(tiny_model_dir, tiny_data):
    m = nerkit.fit(
        tiny_data,
        str(tiny_model_dir),
        epochs=3,
        batch_size=4,
        lr=5e-3,
        warmup=0.0,
        precision="bf16",
        progress=False,
        max_len=32,
    )
    assert {p.dtype for p in m.network.parameters()} == {torch.float32}
    losses = [r["loss"] for r in m.history]
    assert losses[-1] < losses[0]


def test_auto_precision_follows_the_hardware(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.delenv("NERKIT_TEST_PRECISION", raising=False)  # the real hardware's choice, even in a forced run
    monkeypatch.setattr(hardware, "cpu_has_fast_bf16", lambda: False)
    assert use_bf16("auto", cpu) is False
    assert use_bf16("bf16", cpu) is True
    monkeypatch.setattr(hardware, "cpu_has_fast_bf16", lambda: True)
    assert use_bf16("auto", cpu) is True
    assert use_bf16("fp32", cpu) is False  # the switch to turn it off


def test_bad_precision_is_refused(tiny_data, capsys):
    with pytest.raises(ConfigError, match="precision must be auto, bf16 or fp32"):
        TrainConfig(precision="fp16")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "wikigold", "--precision", "fp16", "--output", "unused"])
    assert exit_info.value.code == 2
    assert "precision" in capsys.readouterr().err


def gpus(monkeypatch, count: int) -> None:
    """Play a machine with ``count`` GPUs (as torch would report them)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


@pytest.mark.parametrize(
    "count, nproc, device, expected",
    [
        (0, 2, None, "gloo"),  # no GPU: the CPU, said in one line
        (0, 4, "cpu", "gloo"),
        (1, 2, "cpu", "gloo"),  # the CPU asked for, whatever the GPUs
        (2, 2, None, "nccl"),  # one GPU each
        (8, 2, "cuda", "nccl"),
    ],
)
def test_processes_run_one_per_gpu_or_on_the_cpu(monkeypatch, count, nproc, device, expected):
    gpus(monkeypatch, count)
    backend, note = hardware.plan_processes(nproc, device)
    assert backend == expected
    assert "\n" not in note and ("CPU" in note) == (expected == "gloo")


@pytest.mark.parametrize("count, device", [(1, None), (1, "cuda"), (3, None), (0, "cuda")])
def test_fewer_gpus_than_processes_is_refused_in_one_line(monkeypatch, count, device):
    gpus(monkeypatch, count)
    with pytest.raises(ConfigError, match=f"--nproc 4 needs 4 GPUs .* this machine has {count}") as info:
        hardware.plan_processes(4, device)
    assert "--device cpu" in str(info.value)


def test_nproc_on_one_gpu_stops_before_any_process_starts(monkeypatch, capsys, tiny_conll, tmp_path):
    from cli_errors import error_line

    gpus(monkeypatch, 1)
    started = []
    monkeypatch.setattr("torch.distributed.launcher.api.elastic_launch", lambda *a, **k: started.append(a))
    err = error_line(capsys, ["train", "--data", str(tiny_conll), "--output", str(tmp_path / "m"), "--nproc", "2"])
    assert "--nproc 2 needs 2 GPUs" in err and "has 1" in err
    out = tmp_path / "tags.conll"
    err = error_line(capsys, ["predict", "--model", str(tmp_path), "--input", str(tiny_conll), "--output", str(out),
                              "--nproc", "2"])  # fmt: skip
    assert "--nproc 2 needs 2 GPUs" in err
    assert not started and not out.exists()


def test_forced_test_precision_makes_auto_pick_it(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setenv("NERKIT_TEST_PRECISION", "bf16")
    assert use_bf16("auto", cpu) is True
    assert use_bf16("fp32", cpu) is False
    monkeypatch.setenv("NERKIT_TEST_PRECISION", "fp32")
    assert use_bf16("auto", cpu) is False


def test_bf16_prediction_loss_and_crf_tags_stay_close_to_fp32(trained_tiny, tiny_data):
    """The bf16 prediction path (forced, tiny model): the evaluation loss within bf16's rounding,
    the CRF's tags (Viterbi always in fp32) nearly all the same."""
    assert trained_tiny.crf is not None
    fp32 = nerkit.predict(trained_tiny, tiny_data, precision="fp32")
    bf16 = nerkit.predict(trained_tiny, tiny_data, precision="bf16")
    assert bf16.loss != fp32.loss
    assert bf16.loss == pytest.approx(fp32.loss, rel=0.05, abs=0.01)
    assert bf16.labelled == fp32.labelled
    assert nerkit.score(tiny_data.labels, bf16.tags).f1 == pytest.approx(
        nerkit.score(tiny_data.labels, fp32.tags).f1, abs=0.1
    )


@pytest.mark.parametrize("device", ["gpu9", "", 3.5])
def test_a_device_pytorch_does_not_know_is_one_line(device):
    with pytest.raises(ConfigError, match="is not a device PyTorch knows; use e.g. 'cpu'"):
        hardware.choose_device(device)


def test_a_gpu_that_is_not_there_is_one_line(monkeypatch, trained_tiny, tmp_path):
    # It was torch's AssertionError "Torch not compiled with CUDA enabled", after the model was read.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="asks for a GPU, but PyTorch sees none here"):
        hardware.choose_device("cuda")
    with pytest.raises(ConfigError, match="asks for a GPU"):
        nerkit.load_model(trained_tiny.save(tmp_path / "m"), device="cuda:0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match="only 1 GPU"):
        hardware.choose_device("cuda:3")
    assert hardware.choose_device("cpu").type == "cpu"


@pytest.mark.parametrize(
    "count, device, named",
    [
        (0, "cuda", "device 'cuda' is not available on this machine"),
        (0, "meta", "device 'meta' is not available"),
        (2, "cuda:2", "this machine has 2 GPU(s), cuda:0 to cuda:1"),
        (0, "gpu", "unknown device 'gpu'"),
        (0, "", "unknown device ''"),
    ],
)
def test_a_device_that_is_not_here_is_one_line_before_the_data_is_read(
    monkeypatch, capsys, tmp_path, count, device, named
):
    # Each was a traceback from torch when the model was moved (after the data was read).
    gpus(monkeypatch, count)
    from cli_errors import error_line

    err = error_line(capsys, ["train", "--data", str(tmp_path / "unread.conll"), "--output", str(tmp_path / "m"),
                              "--device", device])  # fmt: skip
    assert named in err and "--device" in err, err
    assert not (tmp_path / "m").exists()
    gpus(monkeypatch, 1)
    assert hardware.check_device("cuda:0") == "cuda:0" and hardware.check_device("cpu") == "cpu"


def test_more_processes_than_cpu_cores_are_refused_before_any_starts(
    monkeypatch, capsys, model_dir, tiny_conll, tmp_path
):
    # A mistyped --nproc 1000 started 1000 processes on a 2-core machine.
    from cli_errors import error_line
    from nerkit.parallel import launcher

    gpus(monkeypatch, 0)
    monkeypatch.setattr(launcher, "_cores", lambda: 4)
    started = []
    monkeypatch.setattr("torch.distributed.launcher.api.elastic_launch", lambda *a, **k: started.append(a))
    out = tmp_path / "tags.conll"
    argv = ["predict", "--model", str(model_dir), "--input", str(tiny_conll), "--output", str(out), "--nproc", "5"]
    err = error_line(capsys, argv)
    assert "--nproc 5 is more processes than this machine's 4 CPU core(s); use --nproc 4 or less" in err
    assert not started and not out.exists()
