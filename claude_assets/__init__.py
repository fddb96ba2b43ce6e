"""claude_assets: Anthropic organization analytics as a Dagster-managed Parquet lake."""

__version__ = "0.1.0"
