#!/usr/bin/env python3
"""Prints each failed test of the given .trx files with the head of its message and stack trace.

CI keeps only the run's output, not the result files, so a failure that happens once under load is diagnosable only
from what this prints.
"""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
MESSAGE_LINES = 40
STACK_LINES = 12


def head(text, lines):
    kept = (text or "").strip().splitlines()
    more = len(kept) - lines
    return "\n".join(kept[:lines]) + (f"\n    ... {more} more lines" if more > 0 else "")


for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as error:
        print(f"--- {path}: unreadable ({error})")
        continue
    for result in root.iterfind(".//t:UnitTestResult[@outcome='Failed']", NS):
        print(f"--- FAILED {result.get('testName')} ({result.get('duration')})")
        message = result.find("t:Output/t:ErrorInfo/t:Message", NS)
        stack = result.find("t:Output/t:ErrorInfo/t:StackTrace", NS)
        print(head(message.text if message is not None else "", MESSAGE_LINES))
        frames = (stack.text if stack is not None else "").strip().splitlines()
        # Frames with a source file are the project's own; the framework's frames above them say little.
        ours = [f for f in frames if " in /" in f]
        print(head("\n".join(ours or frames), STACK_LINES))
