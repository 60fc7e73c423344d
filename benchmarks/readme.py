"""Write a benchmark's results into README.md between its markers.

Authors
 * speechbrain-slimmable developers 2026
"""

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def update_readme(name, text, path=README):
    """Replace the text between ``<!-- name:start -->`` and ``:end -->``.

    Arguments
    ---------
    name : str
        The section's marker name (``results``, ``detection``).
    text : str
        The new text of the section.
    path : pathlib.Path
        The README to rewrite.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    content = path.read_text()
    if start not in content or end not in content:
        raise ValueError(f"{path} has no {start} ... {end} section")
    head, rest = content.split(start)
    _, tail = rest.split(end)
    path.write_text(f"{head}{start}\n{text}{end}{tail}")
