"""`genai-cost demo --help` describes the workload the demo really runs."""

from __future__ import annotations

import re

import anthropic
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from genai_cost import demo
from genai_cost.cli import main
from genai_cost.demo import workload_aws_mistral as more

UNUSED = "http://127.0.0.1:9"  # the clients below are built, never called


def demo_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def workload_size() -> int:
    """How many calls `genai-cost demo` makes: the steps it builds, one SDK call each."""
    oai = openai.OpenAI(base_url=UNUSED, api_key=demo.API_KEY)
    claude = anthropic.Anthropic(base_url=UNUSED, api_key=demo.API_KEY)
    gemini = genai.Client(api_key=demo.API_KEY, http_options=genai_types.HttpOptions(base_url=UNUSED))
    urls = dict.fromkeys(demo.MOCK_FLAVORS, UNUSED)
    steps = (
        demo.build_workload(urls, oai, oai, oai) + demo.anthropic_workload(claude) + demo.google_genai_workload(gemini)
    )
    steps += more.bedrock_workload(more.bedrock_client(UNUSED)) + more.mistral_workload(more.mistral_client(UNUSED))
    return len(steps)


def test_demo_help_names_all_three_sdks(capsys: pytest.CaptureFixture[str]) -> None:
    text = demo_help(capsys)
    for sdk in ("openai", "anthropic", "google-genai", "boto3", "mistralai"):
        assert re.search(rf"\b{sdk}\b", text), sdk
    for wire_format in ("OpenAI", "xAI", "OpenRouter", "Anthropic", "Gemini", "Bedrock", "Mistral"):
        assert wire_format in text, wire_format
    assert "mock provider" in text


def test_demo_help_gives_the_number_of_calls_the_demo_makes(capsys: pytest.CaptureFixture[str]) -> None:
    said = re.search(r"workload of (\d+) calls", demo_help(capsys))
    assert said, "the help says how many calls the demo makes"
    assert int(said.group(1)) == workload_size()
