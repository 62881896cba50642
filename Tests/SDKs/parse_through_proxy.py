"""Reads recorded streams through `usagetap proxy` with the official Python SDKs.

Usage: parse_through_proxy.py BASE_URL PAGES_JSON
  BASE_URL    the proxy, e.g. http://127.0.0.1:8080
  PAGES_JSON  a JSON list of {"name": fixture name, "kind": chat|responses|messages|gemini};
              each fixture is served under BASE_URL/NAME/ at the path its SDK calls.

Prints one JSON object: for each fixture, the events the SDK yielded, the error it raised (its
class name, or null), and the `cost_usd_total` of the last usage it parsed that carried one, as
the exact decimal of the float the SDK gave (null when none did). Gemini's is read from the JSON
the SDK's client parsed: see gemini_costs.
"""
import json
import sys
from decimal import Decimal

import anthropic
import openai
from google import genai
from google.genai import types


def extra(model, key):
    """A member the SDK's model kept beyond its declared fields (pydantic's model_extra)."""
    if model is None:
        return None
    extras = getattr(model, "model_extra", None) or {}
    return extras.get(key)


def decimal_text(value):
    """The float's shortest round-trip decimal, as Python's json parser read it from the text."""
    return None if value is None else str(Decimal(repr(value)))


def read_chat(root):
    client = openai.OpenAI(base_url=root + "/v1", api_key="test", max_retries=0)
    stream = client.chat.completions.create(model="test", messages=[{"role": "user", "content": "hi"}], stream=True)
    for chunk in stream:
        yield extra(chunk.usage, "cost_usd_total")


def read_responses(root):
    client = openai.OpenAI(base_url=root + "/v1", api_key="test", max_retries=0)
    for event in client.responses.create(model="test", input="hi", stream=True):
        response = getattr(event, "response", None)
        yield extra(getattr(response, "usage", None), "cost_usd_total")


def read_messages(root):
    client = anthropic.Anthropic(base_url=root, api_key="test", max_retries=0)
    stream = client.messages.create(model="test", max_tokens=16, messages=[{"role": "user", "content": "hi"}], stream=True)
    for event in stream:
        yield extra(getattr(event, "usage", None), "cost_usd_total")


def read_gemini(root):
    client = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=root + "/", api_version="v1beta"))
    for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"):
        yield extra(chunk.usage_metadata, "cost_usd_total")


def gemini_costs(root):
    """google-genai's typed chunks drop the members their models do not declare (and refuse a
    raw response in streaming methods), so the cost is read from the chunks as the SDK's own
    client yields them to those models: each its JSON, parsed as the SDK parses it."""
    client = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=root + "/", api_version="v1beta"))
    request = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    for response in client._api_client.request_streamed("post", "models/gemini-2.5-flash:streamGenerateContent?alt=sse", request, None):
        chunk = json.loads(response.body) if response.body else {}
        yield (chunk.get("usageMetadata") or {}).get("cost_usd_total")


READERS = {"chat": read_chat, "responses": read_responses, "messages": read_messages, "gemini": read_gemini}


def main():
    base, pages = sys.argv[1], json.loads(sys.argv[2])
    results = {}
    for page in pages:
        events, cost, error = 0, None, None
        root = base + "/" + page["name"]
        try:
            for event_cost in READERS[page["kind"]](root):
                events += 1
                if event_cost is not None:
                    cost = event_cost
            if page["kind"] == "gemini":
                for event_cost in gemini_costs(root):
                    if event_cost is not None:
                        cost = event_cost
        except Exception as failure:  # the SDK's own verdict on the stream, compared as it is
            error = type(failure).__name__
        results[page["name"]] = {"events": events, "error": error, "cost_usd_total": decimal_text(cost)}
    json.dump(results, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
