"""What the sharded-prediction tests share."""

from nerkit.cli import main


def predict_cli(model_dir, source, out, *extra):
    """``nerkit predict`` SOURCE into OUT with EXTRA flags; the file written."""
    assert main(["predict", "--model", str(model_dir), "--input", str(source), "--output", str(out), *extra]) == 0
    return out.read_text()
