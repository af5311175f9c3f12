"""Prompt variations from both LLM backends (official SDKs against fakes) and robust parsing."""

from __future__ import annotations

import json

import pytest

from hollywool.integrations.llm.parse import parse_prompts
from hollywool.settings import ServiceUrls


@pytest.fixture
def llm_client(make_client, fast_remote, anthropic_fake, llm_fake):
    client = make_client(services=ServiceUrls(anthropic=anthropic_fake.url, llm=f"{llm_fake.url}/v1"))
    client.put("/api/providers/anthropic", json={"api_key": anthropic_fake.api_key})
    return client


def test_anthropic_variations_with_the_exact_count(llm_client, anthropic_fake):
    r = llm_client.post(
        "/api/bulk/variations",
        json={
            "base_prompt": "a cat astronaut",
            "count": 7,
            "style_guidance": "retro poster",
            "llm": {"provider": "anthropic"},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 7 and len(body["variations"]) == 7 and len(set(body["variations"])) == 7
    assert body["base_prompt"] == "a cat astronaut" and all("a cat astronaut" in v for v in body["variations"])
    headers, sent = anthropic_fake.messages[-1]
    assert headers["anthropic-version"] and not {"temperature", "top_p", "top_k"} & set(sent)
    assert "retro poster" in sent["messages"][0]["content"]


def test_openai_compatible_variations_with_the_exact_count(llm_client, llm_fake):
    r = llm_client.post(
        "/api/bulk/variations",
        json={"base_prompt": "foggy harbour", "count": 10, "llm": {"provider": "openai_compatible"}},
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["variations"]) == 10  # the fake knows ten distinct styles
    assert llm_fake.completions[-1][1]["model"] == llm_fake.model_ids[0]  # the server's first model
    llm_client.put("/api/settings", json={"llm_provider": "openai_compatible", "llm_model": "qwen2.5-7b-instruct"})
    assert len(llm_client.post("/api/bulk/variations", json={"base_prompt": "x", "count": 2}).json()["variations"]) == 2
    assert llm_fake.completions[-1][1]["model"] == "qwen2.5-7b-instruct"
    assert llm_client.post("/api/providers/openai_compatible/test").json()["ok"]


def test_a_short_answer_is_topped_up_or_reported_with_how_many_came_back(llm_client, llm_fake):
    calls = []

    def short(body):
        calls.append(body)
        return "Here you go:\n1. alpha prompt\n2. beta prompt\n3. gamma prompt\nEnjoy!"

    llm_fake.responder = short
    r = llm_client.post(
        "/api/bulk/variations", json={"base_prompt": "idea", "count": 10, "llm": {"provider": "openai_compatible"}}
    )
    assert r.status_code == 502
    assert "10 prompt variations; 3 came back" in r.json()["detail"] and len(calls) == 2
    answers = iter(["1. alpha\n2. beta", "- gamma\n- delta\n- epsilon"])
    llm_fake.responder = lambda body: next(answers)
    r = llm_client.post(
        "/api/bulk/variations", json={"base_prompt": "idea", "count": 4, "llm": {"provider": "openai_compatible"}}
    )
    assert r.json()["variations"] == ["alpha", "beta", "gamma", "delta"]


def test_bad_variation_requests_are_422(llm_client):
    for body in (
        {"base_prompt": "x", "count": 0},
        {"base_prompt": "x", "count": 201},
        {"base_prompt": "", "count": 3},
        {"base_prompt": "   ", "count": 3},
        {"count": 3},
    ):
        r = llm_client.post("/api/bulk/variations", json=body)
        assert r.status_code == 422, body
    r = llm_client.post("/api/bulk/variations", json={"base_prompt": "x", "count": 2, "llm": {"provider": "nope"}})
    assert r.status_code == 422 and r.json()["field"] == "llm.provider"


def test_wrong_anthropic_key_is_reported_without_the_key(llm_client):
    llm_client.put("/api/providers/anthropic", json={"api_key": "sk-ant-wrong-key-123456"})
    r = llm_client.post("/api/bulk/variations", json={"base_prompt": "x", "count": 2, "llm": {"provider": "anthropic"}})
    assert r.status_code == 502 and "rejected the API key" in r.json()["detail"]
    assert "sk-ant-wrong" not in r.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('["a red fox", "a blue whale"]', ["a red fox", "a blue whale"]),
        ('Sure! Here they are:\n```json\n{"prompts": ["one", "two"]}\n```\nHope it helps.', ["one", "two"]),
        ('[{"prompt": "p1"}, {"prompt": "p2"}]', ["p1", "p2"]),
        (
            'Intro line:\n1. First prompt\n2) Second prompt\n3. "Third prompt"\nThat\'s all.',
            ["First prompt", "Second prompt", "Third prompt"],
        ),
        ("**Prompt 1:** castle at dawn\n**Prompt 2:** castle at dusk", ["castle at dawn", "castle at dusk"]),
        (
            "1. a long prompt that\n   wraps onto a second line\n2. short",
            ["a long prompt that wraps onto a second line", "short"],
        ),
        ("- same\n- Same\n- other", ["same", "other"]),
        ("plain one\nplain two", ["plain one", "plain two"]),
    ],
)
def test_parse_prompts(text, expected):
    assert parse_prompts(text) == expected


def test_parse_prompts_from_a_json_object_with_prose_around_it():
    text = "Here:\n" + json.dumps({"variations": [f"v{i}" for i in range(5)]}) + "\nDone."
    assert parse_prompts(text) == [f"v{i}" for i in range(5)]
