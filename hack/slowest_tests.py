#!/usr/bin/env python
"""Print the N slowest tests of the junit XML files pytest wrote in this run: hack/slowest_tests.py N FILE..."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(argv: list[str]) -> int:
    count, files = int(argv[0]), [Path(f) for f in argv[1:]]
    rows = []
    for path in files:
        if not path.exists():
            continue
        for case in ET.parse(path).getroot().iter("testcase"):
            rows.append((float(case.get("time", 0)), f"{case.get('classname')}::{case.get('name')}"))
    for seconds, name in sorted(rows, reverse=True)[:count]:
        print(f"  {seconds:8.1f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
