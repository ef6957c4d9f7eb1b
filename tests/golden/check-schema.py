#!/usr/bin/env python3
"""The JSON Schemas themselves, and the JSON snapshots against them.

usage: check-schema.py ROOT

- man/swapdiag-report.schema.json and man/swapdiag-diff.schema.json are
  valid draft 2020-12 schemas (their metaschema);
- every JSON snapshot in tests/golden/expected validates;
- the check can fail: each snapshot with its severity made "none" (the
  word swapdiag-report(5) forbids), and with a finding's samples made a
  string, is rejected.
Without python3-jsonschema: a failure under CI=true, else a skip (77)
(tests/schemacheck.py).
"""
import copy
import glob
import json
import os
import sys

ROOT = sys.argv[1]
sys.path.insert(0, os.path.join(ROOT, "tests"))
import schemacheck  # noqa: E402

js = schemacheck.require()
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


for name in ("swapdiag-report.schema.json", "swapdiag-diff.schema.json"):
    try:
        js.Draft202012Validator.check_schema(schemacheck.load(name))
        check(True, "%s is a valid draft 2020-12 schema" % name)
    except js.SchemaError as e:
        check(False, "%s is a valid schema: %s" % (name, e.message))

snaps = sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "expected",
                                      "*.json")))
check(len(snaps) >= 2, "JSON snapshots found: %d" % len(snaps))
for path in snaps:
    with open(path) as f:
        doc = json.load(f)
    name = os.path.basename(path)
    errs = schemacheck.report_errors(doc)
    check(not errs, "%s matches the schema%s" %
          (name, ": " + errs[0] if errs else ""))
    bad = copy.deepcopy(doc)
    bad["severity"] = "none"
    check(schemacheck.report_errors(bad) != [],
          "%s with severity \"none\" is rejected" % name)
    if doc.get("findings"):
        bad = copy.deepcopy(doc)
        bad["findings"][0]["samples"] = "many"
        check(schemacheck.report_errors(bad) != [],
              "%s with a string for findings[0].samples is rejected" % name)
print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
