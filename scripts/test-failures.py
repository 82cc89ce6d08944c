#!/usr/bin/env python3
"""Prints what each failed test said, from ctest's LastTest.log, after the whole run.

ctest prints a failed test's output where it fails, which is far from the end of a long run;
CI logs keep the end. This repeats, for each failed test, its gtest failure lines (the file:line,
the expectation, the values) and the last lines before them, so the end of the log says why.

  scripts/test-failures.py build/Testing/Temporary/LastTest.log
"""
import re
import sys

CONTEXT_BEFORE = 6  # log lines before a failure that usually say what the test was doing
MAX_LINES = 60  # per test


def tests(log):
    name, output, in_output = None, [], False
    for line in log:
        line = line.rstrip("\n")
        m = re.match(r"^\d+/\d+ Test: (.*)$", line)
        if m:
            name, output, in_output = m.group(1), [], False
        elif line == "Output:":
            in_output = True
        elif line == "<end of output>":
            in_output = False
        elif in_output:
            output.append(line)
        elif name and (line == "Test Passed." or line.startswith("Test Failed")):
            if line != "Test Passed.":
                yield name, output
            name = None


def interesting(output):
    keep = set()
    for i, line in enumerate(output):
        if re.search(r": Failure$|Failure$|\[  FAILED  \]|Timeout|Segmentation|Sanitizer|Assertion", line):
            for j in range(max(0, i - CONTEXT_BEFORE), min(len(output), i + 8)):
                keep.add(j)
    if not keep:  # no gtest marker (crash, timeout): the end says most
        keep = set(range(max(0, len(output) - 25), len(output)))
    return [output[i][:400] for i in sorted(keep)][:MAX_LINES]


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], errors="replace") as f:
            failed = list(tests(f))
    except OSError as e:
        print(f"test-failures: {e}", file=sys.stderr)
        return 1
    for name, output in failed:
        print(f"---- {name}")
        for line in interesting(output):
            print(f"  {line}")
    print(f"failed tests: {len(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
