"""Joins one Benchmarks/run's results into a table: ordo-one's JMH exports for the Swift
contenders, the Python SDK peer's lines, and the workloads' manifest (bytes and events per
stream). Prints Markdown, or with --json one JSON object per benchmark.

With --require-no-allocations, exits 1 if any tap or tokenizer benchmark allocated while
reading.
"""
import argparse
import json
import sys

CONTENDERS = ["tap", "reference", "tokenizer", "memchr", "naive", "python_sdk"]


def jmh_results(path):
    """{benchmark name: {metric: (p0, p100)}} from an ordo-one JMH export."""
    with open(path) as source:
        elements = json.load(source)
    results = {}
    for element in elements:
        name = element["benchmark"].removeprefix("package.benchmark.TapBenchmarks.")
        metrics = {"Throughput": element["primaryMetric"]}
        metrics.update(element["secondaryMetrics"])
        results[name] = {
            metric: (values["scorePercentiles"]["0.0"], values["scorePercentiles"]["100.0"])
            for metric, values in metrics.items()
        }
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--timing", required=True, help="JMH export of the timing and malloc run")
    parser.add_argument("--memory", help="JMH export of the peak-memory run")
    parser.add_argument("--python", help="the Python SDK peer's JSON lines")
    parser.add_argument("--instructions", help="Benchmarks/instructions --json lines (callgrind per byte)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--require-no-allocations", action="store_true")
    arguments = parser.parse_args()

    with open(arguments.manifest) as source:
        workloads = [json.loads(line) for line in source if line.strip()]
    timing = jmh_results(arguments.timing)
    memory = jmh_results(arguments.memory) if arguments.memory else {}
    python = {}
    if arguments.python:
        with open(arguments.python) as source:
            python = {row["name"]: row for row in map(json.loads, filter(str.strip, source))}

    instructions = {}
    if arguments.instructions:
        with open(arguments.instructions) as source:
            instructions = {row["name"]: row["instructions_per_byte"] for row in map(json.loads, filter(str.strip, source))}

    rows = []
    for workload in workloads:
        speeds, workload_rows = {}, []
        for contender in CONTENDERS:
            name = f"{contender}.{workload['name']}"
            row = {"name": name, "bytes": workload["bytes"], "events": workload["events"]}
            if name in timing:
                # Wall clock is exported in microseconds. The fastest run stands for the
                # benchmark: on a shared machine interference only ever slows a run down.
                seconds = timing[name]["Time (wall clock)"][0] / 1e6
                mallocs = timing[name]["Malloc (total)"][1]  # the worst run, for the gate
                row.update(bytes_per_second=workload["bytes"] / seconds,
                           events_per_second=workload["events"] / seconds,
                           mallocs_per_stream=mallocs,
                           mallocs_per_event=mallocs / workload["events"])
                if name in memory and "Memory Δ (resident peak)" in memory[name]:
                    row["peak_memory_delta_bytes"] = memory[name]["Memory Δ (resident peak)"][1]
            elif name in python:
                row.update(bytes_per_second=python[name]["bytes_per_second"],
                           events_per_second=python[name]["events_per_second"],
                           peer=python[name]["peer"])
            else:
                continue
            if name in instructions:
                row["instructions_per_byte"] = instructions[name]
            speeds[contender] = row["bytes_per_second"]
            workload_rows.append(row)
        # Ratios compare contenders on the same workload's bytes only.
        for row in workload_rows:
            for contender, key in (("memchr", "memchr_ratio"), ("reference", "reference_ratio"), ("naive", "naive_ratio"),
                                   ("python_sdk", "python_sdk_ratio")):
                if contender in speeds:
                    row[key] = row["bytes_per_second"] / speeds[contender]
        rows += workload_rows

    if arguments.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print_table(rows)

    if arguments.require_no_allocations:
        allocating = [row for row in rows if row["name"].startswith(("tap.", "tokenizer."))
                      and row.get("mallocs_per_stream", 0) > 0]
        for row in allocating:
            print(f"{row['name']}: {row['mallocs_per_stream']} heap allocations while reading "
                  f"{row['events']} events", file=sys.stderr)
        if allocating:
            sys.exit(1)


def print_table(rows):
    def ratio(row, key):
        return f"{row[key]:.3g}×" if key in row else "–"

    print("| benchmark | MB/s | events/s | instructions per byte | allocations per event | peak memory Δ | × memchr | × reference | × naive | × Python SDK |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        mallocs = f"{row['mallocs_per_event']:.3g}" if "mallocs_per_event" in row else "–"
        peak = f"{row['peak_memory_delta_bytes'] / 1e6:.1f} MB" if "peak_memory_delta_bytes" in row else "–"
        per_byte = f"{row['instructions_per_byte']:.2f}" if "instructions_per_byte" in row else "–"
        print(f"| {row['name']} | {row['bytes_per_second'] / 1e6:,.0f} | {row['events_per_second']:,.0f} | {per_byte} | {mallocs} "
              f"| {peak} | {ratio(row, 'memchr_ratio')} | {ratio(row, 'reference_ratio')} | {ratio(row, 'naive_ratio')} | {ratio(row, 'python_sdk_ratio')} |")


if __name__ == "__main__":
    main()
