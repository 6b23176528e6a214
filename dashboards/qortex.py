"""The qortex dashboard: qortex 0.3.0's 5 rows and 18 panels, built from contract metrics.

Each panel queries the same contract metrics as its seed panel; what the seed
got wrong, and how this fixes it, is in README's "The dashboard, and what it
fixes in qortex 0.3.0's". Configured in pyproject.toml (`dashboards`), it
renders into `out/grafana/qortex.json`.
"""

from __future__ import annotations

from dashboards import lib

DASHBOARD = lib.dashboard(
    "qortex Observability",
    # the seed's uid, so links and bookmarks to the hand-written dashboard keep working
    uid="qortex-main",
    tags=("qortex", "observability"),
    job_metric="qortex_queries",
    rows=(
        lib.row(
            "Retrieval Health",
            (
                lib.timeseries("Query Rate", lib.rate("qortex_queries", by=("mode",))),
                lib.timeseries("Query Latency p50/p95/p99",
                               *lib.quantiles("qortex_query_duration_seconds", 0.5, 0.95, 0.99)),
            ),
            (
                lib.timeseries("Vec Search Latency p50/p95",
                               *lib.quantiles("qortex_vec_search_duration_seconds", 0.5, 0.95)),
                lib.timeseries("Query Errors", lib.rate("qortex_query_errors", by=("stage",))),
            ),
        ),
        lib.row(
            "Learning Dynamics",
            (
                lib.timeseries("Factor Mean", lib.gauge("qortex_factor_mean")),
                lib.timeseries("Factor Entropy", lib.gauge("qortex_factor_entropy")),
                lib.timeseries("Factor Update Rate", lib.rate("qortex_factor_updates", by=("outcome",))),
            ),
            (
                lib.timeseries("Feedback", lib.rate("qortex_feedback", by=("outcome",))),
            ),
        ),
        lib.row(
            "KG Crystallization",
            (
                # the contract's `{ratio}` is a 0..1 fraction, which Grafana shows as a percentage
                lib.gauge_panel("KG Coverage Ratio", lib.gauge("qortex_kg_coverage"), unit="percentunit",
                                min=0, max=1),
                lib.timeseries("Buffer Size & Promotions",
                               lib.gauge("qortex_buffer_edges", agg="sum", legend="buffered {{job}}"),
                               lib.increase("qortex_edges_promoted", "1h", legend="promoted in the last hour")),
                # the seed showed the raw counter, which drops to zero whenever a process
                # restarts; an increase over the dashboard's range survives restarts
                lib.stat("Total Promoted", lib.increase("qortex_edges_promoted", "$__range", legend="promoted"),
                         description="Edges promoted within the dashboard's time range."),
            ),
        ),
        lib.row(
            "PPR Performance",
            (
                lib.heatmap("PPR Iterations to Convergence", lib.buckets("qortex_ppr_iterations")),
                lib.timeseries("Active Factors", lib.gauge("qortex_factors_active", agg="sum")),
            ),
        ),
        lib.row(
            "Enrichment & Ingestion",
            (
                lib.timeseries("Enrichment Rate", lib.rate("qortex_enrichment", by=("backend_type",))),
                lib.timeseries("Enrichment Latency",
                               *lib.quantiles("qortex_enrichment_duration_seconds", 0.5, 0.95)),
                lib.timeseries("Enrichment Fallbacks", lib.rate("qortex_enrichment_fallbacks")),
            ),
            (
                lib.timeseries("Ingestion Rate", lib.rate("qortex_manifests_ingested", by=("domain",))),
                lib.timeseries("Ingest Latency", *lib.quantiles("qortex_ingest_duration_seconds", 0.5, 0.95)),
            ),
        ),
    ),
)
