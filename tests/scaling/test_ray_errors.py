"""Bad input to `nerkit predict --engine ray`: one line and exit 2, before any Ray starts."""

import socket
import sys

import pytest

from cli_errors import error_line


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "docs.txt"
    path.write_text("Obama visited Paris.\n")
    return path


def _argv(model_dir, src, *more) -> list[str]:
    return ["predict", "--model", str(model_dir), "--input", str(src), "--output", str(src) + ".out", *more]


def test_without_ray_it_says_how_to_install_it(capsys, model_dir, src, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as when it is not installed
    monkeypatch.setitem(sys.modules, "ray.data", None)
    err = error_line(capsys, _argv(model_dir, src, "--engine", "ray"))
    assert 'pip install "nerkit[ray]"' in err


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # nothing listens once it is closed


@pytest.mark.parametrize(
    "more, expected",
    [
        (["--engine", "ray", "--workers", "0"], "--workers must be a whole number of at least 1"),
        (["--engine", "ray", "--block-size", "-3"], "--block-size must be a whole number of at least 1"),
        (["--engine", "ray", "--cpus-per-worker", "-1"], "--cpus-per-worker must be a number of at least 0"),
        (["--engine", "ray", "--cpus-per-worker", "0"], "needs --cpus-per-worker or --gpus-per-worker"),
        (["--engine", "ray", "--nproc", "2"], "with --engine ray use --workers"),
        (["--engine", "ray", "--shard-dir", "shards"], "with --engine ray use --workers"),
        (["--workers", "2"], "--workers only apply with --engine ray"),
        (["--engine", "ray", "--html", "page.html"], "--html is not available with --engine ray"),
        (["--engine", "ray", "--output-format", "doccano"], "--engine ray writes jsonl for this input, not doccano"),
        (["--engine", "ray", "--output", "no-such-folder/out.jsonl"], "the folder of --output no-such-folder/out"),
        (["--engine", "ray", "--address", None], "no Ray cluster answers at 127.0.0.1:"),
        (["--engine", "ray", "--address", "nohost-nerkit.invalid:6379"], "no Ray cluster answers at nohost"),
    ],
)
def test_bad_options_are_one_line(capsys, model_dir, src, more, expected):
    more = [_closed_port() if m is None else m for m in more]
    assert expected in error_line(capsys, _argv(model_dir, src, *more))


def test_stdin_is_refused(capsys, model_dir):
    err = error_line(
        capsys, ["predict", "--model", str(model_dir), "--input", "-", "--format", "text", "--engine", "ray"]
    )
    assert "not stdin" in err


def test_a_refused_output_format_leaves_an_earlier_output_as_it_was(capsys, model_dir, src):
    out = src.parent / "docs.txt.out"
    out.write_text("earlier output\n")
    error_line(capsys, _argv(model_dir, src, "--engine", "ray", "--output-format", "label-studio"))
    assert out.read_text() == "earlier output\n"
