"""nerkit.training.job: what surrounds training in `nerkit train` (the data, the split, the output)."""

import pytest

from nerkit.errors import ConfigError, ModelError
from nerkit.training.job import TrainJob


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(test_fraction=1.0), "--test-fraction must be between 0 and 1"),
        (dict(validation=0.0), "--validation must be between 0 and 1"),
        (dict(split_by="article"), "split_by .* must be 'sentence' or 'document'"),
    ],
)
def test_bad_job_options_are_refused(tmp_path, bad, match):
    with pytest.raises(ConfigError, match=match):
        TrainJob(data="wikigold", output=str(tmp_path / "m"), **bad)


def test_an_output_holding_a_model_is_kept_unless_overwrite(trained_tiny, tmp_path):
    trained_tiny.save(tmp_path / "m")
    before = sorted(p.name for p in (tmp_path / "m").iterdir())
    with pytest.raises(ConfigError, match="already holds a model; pass --overwrite"):
        TrainJob(data="wikigold", output=str(tmp_path / "m"))
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == before
    TrainJob(data="wikigold", output=str(tmp_path / "m"), overwrite=True)


def test_an_output_holding_other_files_is_refused_before_training(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="holds other files .*choose a new or empty folder"):
        TrainJob(data="wikigold", output=str(tmp_path), overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_the_job_puts_checkpoints_beside_the_output_and_quick_means_one_epoch(tmp_path):
    job = TrainJob(data="wikigold", output=str(tmp_path / "m"), quick=True)
    config = job.train_config(epochs=5, resume=True)  # --resume alone finds OUTPUT.checkpoints
    assert config.checkpoint_dir == str(tmp_path / "m.checkpoints") and config.epochs == 1
    assert job.train_config(checkpoint_dir="elsewhere").checkpoint_dir == "elsewhere"


@pytest.mark.parametrize("name", ["missing", "file"])
def test_a_model_path_that_is_no_folder_is_refused_before_the_data_is_read(tmp_path, name):
    # A mistyped --model path was found only after the data was read and the split printed.
    (tmp_path / "file").write_text("not a model\n")
    with pytest.raises(ModelError, match="does not exist" if name == "missing" else "is a file, not a model directory"):
        TrainJob(data=str(tmp_path / "no-such-data.conll"), output=str(tmp_path / "m"), model=str(tmp_path / name))
