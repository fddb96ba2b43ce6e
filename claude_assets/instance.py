"""`python -m claude_assets.instance`: set up the Dagster instance at DAGSTER_HOME (ops/instance.py says why)."""

from claude_assets.ops.instance import main

if __name__ == "__main__":
    main()
