"""Feeds every recorded fixture through the C interface from Python (ctypes) at 1-, 7- and
65,536-byte slices, and checks each record, and its JSON line, against NAME.expected.json.

    USAGETAP_LIBRARY=DIR/libusagetap.so python3 check_fixtures.py FIXTURES_DIR

Prints one line per fixture and exits 0, or names the first difference and exits 1.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import usagetap  # noqa: E402


def main(folder):
    names = sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".sse"))
    if not names:
        sys.exit(f"no fixtures in {folder}")
    prices = usagetap.Prices("default")
    tap = usagetap.Tap()
    for name in names:
        with open(os.path.join(folder, name + ".sse"), "rb") as file:
            stream = file.read()
        with open(os.path.join(folder, name + ".expected.json")) as file:
            expected = json.load(file)
        for size in (1, 7, 65536):
            tap.reset(usagetap.AUTO)
            for start in range(0, len(stream), size):
                tap.feed(stream[start:start + size])
            tap.finish()
            record, line = tap.record(), json.loads(tap.record_json())
            for key, value in expected.items():
                if record.get(key) != value or line.get(key) != value:
                    sys.exit(f"{name} at {size}-byte slices: {key} is {record.get(key)!r} "
                             f"(JSON line: {line.get(key)!r}), expected {value!r}")
        cost = tap.cost(prices)
        print(f"{name}: ok, cost {cost['total_nanos'] if cost else 'unpriced'}")
    print(f"ok: {len(names)} fixtures through usagetap {usagetap.version()} from Python")


if __name__ == "__main__":
    main(sys.argv[1])
