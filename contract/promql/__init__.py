"""PromQL in dashboards and rule files: extraction, analysis and the checks run on it."""
