"""``python -m benchmarks TABLE [options]``: write one table of results.

Example
-------
>>> main(["--help"])
Traceback (most recent call last):
...
SystemExit: 0
"""

import importlib
import sys

# Each table's module, imported only when its table is asked for.
TABLES = {
    "supernet": "benchmarks.supernet",
    "clips": "benchmarks.clips",
    "class-errors": "benchmarks.class_errors",
    "learning-curve": "benchmarks.learning_curve",
    "detection": "benchmarks.detection",
    "thresholds": "benchmarks.thresholds",
    "cascade": "benchmarks.cascade",
    "stream-file": "benchmarks.stream_file",
    "streams": "benchmarks.streams",
    "stream-changes": "benchmarks.stream_changes",
    "changes": "benchmarks.changes",
    "front-end": "benchmarks.front_end",
}


def main(argv=None):
    """Run the table named by the first argument with the others."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in TABLES:
        print(
            "usage: python -m benchmarks TABLE [options]\n\ntables: "
            + ", ".join(TABLES)
            + "\n\n`python -m benchmarks TABLE --help` for its options."
        )
        raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)
    importlib.import_module(TABLES[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    main()
