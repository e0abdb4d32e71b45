"""Outputs: checked before work, replaced whole, and killed runs' temporaries cleaned."""

from __future__ import annotations

import os
import time

import pytest

from nerkit.errors import ConfigError
from nerkit.outputs import (
    STALE_AFTER,
    atomic_file,
    check_output_dir,
    check_output_file,
    remove_stale,
    temp_dir,
)


def test_a_file_output_must_not_be_a_folder_nor_in_a_missing_one(tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        check_output_file(tmp_path)
    with pytest.raises(ConfigError, match="does not exist; create it first"):
        check_output_file(tmp_path / "missing" / "out.conll")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="does not exist"):
        check_output_file(tmp_path / "file" / "out.conll")
    assert check_output_file(tmp_path / "out.conll") == tmp_path / "out.conll"


def test_a_folder_output_must_not_be_a_file_nor_under_one(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        check_output_dir(tmp_path / "file" / "deeper" / "model")
    assert check_output_dir(tmp_path / "new" / "model") == tmp_path / "new" / "model"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("the good old content\n")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as f:
            f.write("half of the new")
            raise RuntimeError("failed half-way")
    assert target.read_text() == "the good old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with atomic_file(target) as f:
        f.write("new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def _dead_pid() -> int:
    """A process number that is not running (a child that has exited and been reaped)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_stale_temporaries_of_dead_processes_are_removed_and_nothing_else(tmp_path):
    dead = tmp_path / f".model.tmp-{_dead_pid()}-0badf00d"
    dead.mkdir()
    (dead / "model.safetensors").write_bytes(b"x" * 1000)
    alive = tmp_path / f".model.tmp-{os.getppid()}-0000beef"  # a running process's (our parent's)
    alive.mkdir()
    old_alive = tmp_path / f".model.tmp-{os.getppid()}-00000001"
    old_alive.mkdir()
    long_ago = time.time() - STALE_AFTER - 60
    os.utime(old_alive, (long_ago, long_ago))
    other = tmp_path / f".other.tmp-{_dead_pid()}-0badf00d"  # another output's, not asked about
    other.mkdir()
    user = tmp_path / ".model.notes"  # not nerkit's pattern
    user.mkdir()
    removed = remove_stale(tmp_path, "model")
    assert sorted(p.name for p in removed) == sorted([dead.name, old_alive.name])
    assert alive.exists() and other.exists() and user.exists() and not dead.exists()


def test_a_temporary_in_use_by_this_process_is_kept(tmp_path):
    mine = temp_dir(tmp_path / "model")
    assert mine.parent == tmp_path and mine.name.startswith(".model.tmp-")
    assert remove_stale(tmp_path, "model") == [] and mine.exists()


def test_a_killed_save_is_cleaned_by_the_next_save(trained_tiny, tmp_path):
    """A save killed half-way (kill -9) leaves `.NAME.tmp-PID-*`; saving there again removes it."""
    import subprocess
    import sys

    # A real kill -9 in the middle of a save: the child makes its temporary folder, then dies.
    code = (
        "import os, pathlib; from nerkit.outputs import temp_dir; "
        "d = temp_dir(pathlib.Path(os.environ['D'])); (d / 'model.safetensors').write_bytes(b'0' * 4096); "
        "os.kill(os.getpid(), 9)"
    )
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "D": str(tmp_path / "model")})
    assert [p.name.startswith(".model.tmp-") for p in tmp_path.iterdir()] == [True]
    trained_tiny.save(tmp_path / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    trained_tiny.save(tmp_path / "model", overwrite=True)  # replacing leaves nothing beside it either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_link_or_a_device_is_written_through_never_replaced(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_file(link) as f:
        f.write("new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    with atomic_file(os.devnull) as f:  # a character device: written to, still a device
        f.write("gone\n")
    assert not os.path.isfile(os.devnull)


def test_older_versions_temporaries_are_removed_by_age_alone(tmp_path):
    from nerkit.outputs import OLD_STYLE_AFTER

    old, recent = tmp_path / ".model.k3x_9ab2", tmp_path / ".model.q7w2e4r1"  # tempfile.mkdtemp(prefix=".model.")
    old.mkdir()
    recent.mkdir()
    long_ago = time.time() - OLD_STYLE_AFTER - 60
    os.utime(old, (long_ago, long_ago))
    assert remove_stale(tmp_path, "model") == [old] and recent.exists()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
@pytest.mark.parametrize("check", [check_output_file, check_output_dir])
def test_a_folder_nothing_can_be_created_in_is_refused_even_for_root(check):
    # os.access says yes to root in /proc; the temporary then failed with a traceback after all the work.
    with pytest.raises(ConfigError, match="/proc"):
        check("/proc/nerkit-output", "--output")
    assert not os.path.exists("/proc/nerkit-output")


def test_the_write_test_leaves_nothing_behind(tmp_path):
    check_output_file(tmp_path / "out.jsonl")
    check_output_dir(tmp_path / "new" / "model")
    assert list(tmp_path.iterdir()) == []
