"""The one check every bad-input CLI test shares: exit 2 and one line naming the fix."""

from nerkit.cli import main


def error_line(capsys, argv: list[str]) -> str:
    """Run ``nerkit ARGV``; assert it failed with exit 2 and one line, no traceback; return the line."""
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err
