"""The OpenAI Python SDK's own SSE decoder, plus json.loads per event: how a Python gateway
built on the SDK reads a stream. Reads the workloads write-workloads wrote, in the same
slices, checks it found the same usage, and prints one JSON object per workload.

usage: python_sdk.py MANIFEST [ROUNDS]
"""
import json
import sys
import time

from openai import __version__ as openai_version
from openai._streaming import SSEDecoder

# One byte per slice means millions of Python calls per stream: minutes, not seconds.
SKIPPED = {"worst.one_byte_slices"}


def usage_of(stream_chunks):
    """Decodes every event and keeps the usage, as NaiveGateway does in Swift."""
    usage = None
    messages_input = {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    events = 0
    for event in SSEDecoder().iter_bytes(iter(stream_chunks)):
        events += 1
        if event.data == "[DONE]":
            continue
        try:
            body = json.loads(event.data)
        except ValueError:
            continue
        if isinstance(body.get("usage"), dict) and "prompt_tokens" in body["usage"]:
            u = body["usage"]
            usage = (u["prompt_tokens"], u.get("completion_tokens", 0))
        elif isinstance(body.get("usageMetadata"), dict):
            u = body["usageMetadata"]
            usage = (u.get("promptTokenCount", 0), u.get("candidatesTokenCount", 0) + u.get("thoughtsTokenCount", 0))
        elif body.get("type") == "response.completed":
            u = body["response"]["usage"]
            usage = (u["input_tokens"], u["output_tokens"])
        elif body.get("type") in ("message_start", "message_delta"):
            u = body["message"]["usage"] if body["type"] == "message_start" else body.get("usage")
            if isinstance(u, dict):
                for key in messages_input:
                    if key in u:
                        messages_input[key] = u[key]
                output = u.get("output_tokens", usage[1] if usage else 0)
                usage = (sum(messages_input.values()), output)
    return usage, events


def main():
    manifest_path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(manifest_path) as manifest:
        workloads = [json.loads(line) for line in manifest if line.strip()]
    for workload in workloads:
        if workload["name"] in SKIPPED:
            continue
        with open(workload["path"], "rb") as source:
            data = source.read()
        size = workload["slice_bytes"]
        chunks = [data[offset:offset + size] for offset in range(0, len(data), size)]
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            usage, events = usage_of(chunks)
            best = min(best, time.perf_counter() - start)
        expected = (workload["input_tokens"], workload["output_tokens"])
        if usage != expected:
            sys.exit(f"python_sdk.{workload['name']}: read usage {usage}, expected {expected}")
        print(json.dumps({
            "name": f"python_sdk.{workload['name']}",
            "bytes_per_second": len(data) / best,
            "events_per_second": events / best,
            "seconds": best,
            "peer": f"openai {openai_version}",
        }), flush=True)


if __name__ == "__main__":
    main()
