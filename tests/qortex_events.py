"""A mix of real qortex 0.3.0 events, shared by the integration tests and the benchmark."""

from __future__ import annotations

from typing import Any


def mix(tag: str = "") -> list[Any]:
    """One event of each of the 15 types the qortex contract handles, and a second
    `QueryStarted`, so that both `QueryCompleted` and `QueryFailed` end a span."""
    from qortex.observability import events as e

    a, b = f"q{tag}a", f"q{tag}b"
    return [
        e.QueryStarted(query_id=a, query_text="what", domains=None, mode="vec", top_k=10, timestamp="t"),
        e.QueryCompleted(query_id=a, latency_ms=42.0, seed_count=3, result_count=10, activated_nodes=50,
                         mode="vec", timestamp="t"),
        e.QueryStarted(query_id=b, query_text="why", domains=("docs",), mode="graph", top_k=5, timestamp="t"),
        e.QueryFailed(query_id=b, error="ppr blew up", stage="ppr", timestamp="t"),
        e.PPRConverged(query_id=a, iterations=12, final_diff=1e-6, node_count=100, nonzero_scores=40,
                       latency_ms=3.0),
        e.PPRDiverged(query_id=b, iterations=100, final_diff=0.1, node_count=100),
        e.FactorUpdated(node_id="n1", query_id=a, outcome="accepted", old_factor=1.0, new_factor=1.1, delta=0.1,
                        clamped=False),
        e.FactorDriftSnapshot(count=10, mean=1.05, min_val=0.5, max_val=2.0, boosted=3, penalized=2, entropy=2.25),
        e.OnlineEdgeRecorded(source_id="n1", target_id="n2", score=0.9, hit_count=2, buffer_size=17),
        e.EdgePromoted(source_id="n1", target_id="n2", hit_count=3, avg_score=0.8),
        e.BufferFlushed(promoted=2, remaining=5, total_promoted_lifetime=9, kg_coverage=0.375, timestamp="t"),
        e.VecSearchCompleted(query_id=a, candidates=20, fetch_k=40, latency_ms=7.0),
        e.FeedbackReceived(query_id=a, outcomes=6, accepted=3, rejected=2, partial=1, source="mcp"),
        e.EnrichmentCompleted(rule_count=4, succeeded=4, failed=0, backend_type="anthropic", latency_ms=800.0),
        e.EnrichmentFallback(reason="timeout", rule_count=4),
        e.ManifestIngested(domain="docs", node_count=10, edge_count=20, rule_count=2, source_id="s1",
                           latency_ms=120.0),
    ]
