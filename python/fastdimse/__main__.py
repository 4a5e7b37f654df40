"""`python -m fastdimse <app> [options]`: run one of the command-line apps.

The table below lists the apps that exist; each is a module with a `main(args)` function,
imported only when it is asked for, so that a server app can start listening at once.
"""

from __future__ import annotations

import importlib
import sys

# app name -> (module, one-line summary)
APPS: dict[str, tuple[str, str]] = {
    "echoscp": ("fastdimse.apps.echoscp", "Verification SCP: answers C-ECHO requests"),
    "echoscu": ("fastdimse.apps.echoscu", "Verification SCU: sends C-ECHO requests"),
    "findscu": ("fastdimse.apps.findscu", "Query/Retrieve and worklist SCU: sends a C-FIND"),
    "getscu": ("fastdimse.apps.getscu", "Query/Retrieve SCU: C-GET, writes what it receives"),
    "movescu": ("fastdimse.apps.movescu", "Query/Retrieve SCU: C-MOVE, optionally receiving"),
    "qrscp": ("fastdimse.apps.qrscp", "Query/Retrieve SCP: stores, indexes and serves an archive"),
    "storescp": ("fastdimse.apps.storescp", "Storage SCP: writes received instances to files"),
    "storescu": ("fastdimse.apps.storescu", "Storage SCU: sends DICOM files with C-STORE"),
}


def main(argv: list[str] | None = None) -> None:
    """Dispatch to the app named by argv[0] (default: sys.argv[1:])."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stderr.write(usage())
        sys.exit(2)
    name, rest = args[0], args[1:]
    if name in ("-h", "--help"):
        sys.stdout.write(usage())
        return
    if name == "--version":
        from fastdimse._core import __version__

        print(__version__)
        return
    if name not in APPS:
        sys.stderr.write(f"fastdimse: unknown app {name!r}\n\n{usage()}")
        sys.exit(2)
    module = importlib.import_module(APPS[name][0])
    module.main(rest)


def usage() -> str:
    """The usage text, listing the available apps."""
    width = max(len(name) for name in APPS)
    lines = [
        "usage: python -m fastdimse <app> [options]",
        "       python -m fastdimse --version",
        "",
        "apps:",
        *(f"  {name:<{width}}  {summary}" for name, (_, summary) in sorted(APPS.items())),
        "",
        "Run 'python -m fastdimse <app> --help' for the options of an app.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
