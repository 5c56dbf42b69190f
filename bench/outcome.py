"""What a batch of simulated conversations produced, whichever way they were driven."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ConversationOutcome:
    """One patient's conversation: a latency per answered turn, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    # What each answered turn was ("button:I agree", "text"), parallel to latencies.
    steps: list[str] = field(default_factory=list)
    lost_turns: int = 0
    completed: bool = False
    # Completed, but the consent clauses came out of order or twice (a concurrency bug).
    out_of_order: bool = False
    error: str | None = None


@dataclass
class BatchOutcome:
    conversations: list[ConversationOutcome] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    @property
    def latencies(self) -> list[float]:
        return [value for c in self.conversations for value in c.latencies]

    def by_step(self) -> dict[str, list[float]]:
        """Latencies grouped by what the patient did, to see which turn is slow."""
        grouped: dict[str, list[float]] = {}
        for conversation in self.conversations:
            for step, latency in zip(conversation.steps, conversation.latencies, strict=False):
                grouped.setdefault(step, []).append(latency)
        return grouped

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def lost_turns(self) -> int:
        return sum(c.lost_turns for c in self.conversations)

    @property
    def completed(self) -> int:
        return sum(1 for c in self.conversations if c.completed)

    @property
    def out_of_order(self) -> int:
        return sum(1 for c in self.conversations if c.out_of_order)

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.conversations if c.error]
