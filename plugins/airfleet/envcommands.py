"""`airfleet init` and `airfleet env`: the env file as commands (the rules live in airfleet.envfile)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from airfleet import envfile


def init(args: argparse.Namespace) -> int:
    path = Path(args.env_file)
    added = envfile.init(path, args.existing_data)
    if added:
        print(f"{path}: added {', '.join(added)} (mode 0600)")
    else:
        print(f"{path}: complete; nothing changed")
    return 0


def show(args: argparse.Namespace) -> int:
    sys.stdout.write(envfile.dump(Path(args.env_file)))
    return 0
