"""One request to the Messages API, and the hash that keys its cached answer.

The hash covers everything that decides the answer: model, prompt version,
the rendered system and conversation, and the output cap.  ``context`` carries
what the task needs to turn the answer into rows (sources, champion, split)
and is not hashed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

CHARS_PER_TOKEN = 4  # rough English average, for estimates only
WORST_CHARS_PER_TOKEN = 3  # pessimistic, for budget reservations


@dataclass(frozen=True)
class RequestIdentity:
    """What the call log needs to know of a request (also rebuilt from a batch record)."""

    request_hash: str
    task: str
    model: str
    prompt: str
    prompt_version: str


@dataclass(frozen=True)
class LLMRequest:
    task: str  # the task (or sub-task, e.g. a judge) the request serves
    prompt: str  # template name
    prompt_version: str
    model: str
    system: str
    messages: tuple[tuple[str, str], ...]  # (role, content), starting with the user
    max_tokens: int
    context: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    expected_output_tokens: int | None = field(default=None, compare=False, hash=False)  # for estimates only

    @property
    def request_hash(self) -> str:
        key = json.dumps(
            [self.model, self.prompt_version, self.system, list(map(list, self.messages)), self.max_tokens],
            ensure_ascii=False,
        )
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def identity(self) -> RequestIdentity:
        return RequestIdentity(self.request_hash, self.task, self.model, self.prompt, self.prompt_version)

    def params(self) -> dict[str, Any]:
        """Keyword arguments of ``client.messages.create`` (and of a batch request's ``params``).

        The system part is the same for every request of a prompt, so it is marked for
        prompt caching; the per-request conversation follows it.
        """
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": [{"type": "text", "text": self.system, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": role, "content": content} for role, content in self.messages],
        }

    @property
    def characters(self) -> int:
        return len(self.system) + sum(len(content) for _, content in self.messages)

    def estimated_input_tokens(self) -> int:
        return self.characters // CHARS_PER_TOKEN + 8

    def worst_input_tokens(self) -> int:
        return self.characters // WORST_CHARS_PER_TOKEN + 32

    def followed_by(self, answer: str, instruction: str, prompt_version: str) -> LLMRequest:
        """This conversation continued with the model's ``answer`` and a new user turn (a repair)."""
        return LLMRequest(
            task=self.task,
            prompt=self.prompt,
            prompt_version=f"{self.prompt_version}+{prompt_version}",
            model=self.model,
            system=self.system,
            messages=(*self.messages, ("assistant", answer), ("user", instruction)),
            max_tokens=self.max_tokens,
            context=self.context,
            expected_output_tokens=self.expected_output_tokens,
        )
