"""Archive-scale backfill on Apache Spark: the serving engine over stored articles, written as Parquet.

It sits beside the serving path: it imports the engine and the rule loader, and nothing imports
it (`sitrep backfill` loads it on demand), so the server never needs PySpark. See docs/backfill.md.
"""
