"""The JSON Schema checks of the test scripts: one place that decides what a
missing python3-jsonschema means.

Under CI (the environment has CI=true, as .ci/run and most CI services set
it) a test that validates reports against man/swapdiag-*.schema.json FAILS
without the module: a schema check that silently passes is no check.
Elsewhere it is skipped with exit status 77, saying how to install it
(tests/setup.sh installs Debian's python3-jsonschema).
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def under_ci():
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def require():
    """The jsonschema module, or the end of the test: exit 1 under CI, 77
    elsewhere."""
    try:
        import jsonschema
        return jsonschema
    except ImportError:
        pass
    if under_ci():
        print("FAIL python3-jsonschema is not installed, and under CI (CI=true) "
              "the JSON reports must be checked against their schema: "
              "apt-get install python3-jsonschema (tests/setup.sh does)")
        sys.exit(1)
    print("skipped: python3-jsonschema is not installed (apt-get install "
          "python3-jsonschema); under CI=true this test fails instead")
    sys.exit(77)


def load(name="swapdiag-report.schema.json"):
    with open(os.path.join(ROOT, "man", name)) as f:
        return json.load(f)


def report_errors(doc):
    """Schema violations of a swapdiag-report/1 document (empty if none):
    'message at [path]' strings."""
    js = require()
    v = js.Draft202012Validator(load())
    return ["%s at %s" % (e.message, list(e.absolute_path))
            for e in v.iter_errors(doc)]


def diff_validator():
    """A validator of swapdiag-diff/1, which refers to the report schema by
    its $id: with the referencing module (jsonschema >= 4.18) or the
    RefResolver of older ones (Debian 12 has 4.10)."""
    js = require()
    rep, dif = load(), load("swapdiag-diff.schema.json")
    try:
        from referencing import Registry, Resource
    except ImportError:
        # RefResolver joins relative $ids oddly: give both absolute ones
        # under one made-up base, where "../swapdiag-report/1" resolves
        base = "https://swapdiag.invalid/"
        dif = dict(dif, **{"$id": base + dif["$id"]})
        rep = dict(rep, **{"$id": base + rep["$id"]})
        resolver = js.RefResolver.from_schema(dif, store={rep["$id"]: rep})
        return js.Draft202012Validator(dif, resolver=resolver)
    reg = Registry().with_resource("swapdiag-report/1",
                                   Resource.from_contents(rep))
    return js.Draft202012Validator(dif, registry=reg)


def optional():
    """For tests whose main job is another (damage, record-e2e): the
    jsonschema module; without it a failure under CI, else None and a note
    (the rest of the test still runs)."""
    try:
        import jsonschema
        return jsonschema
    except ImportError:
        pass
    if under_ci():
        require()
    print("note: python3-jsonschema is not installed: the reports are not "
          "checked against their schema here (under CI=true this fails)")
    return None
