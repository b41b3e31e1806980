"""The Spark driver of `sitrep backfill`: read the archive, ship the rules, run, write, summarise.

The rules go to the executors as one deterministic zip named by their content hash; each worker
checks the hash before it extracts, and every row carries it. The output is partitioned by that
version and written with dynamic partition overwrite, so running the same rules again replaces
exactly their own partition (idempotent) and other versions' partitions stay.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from service.backfill.rows import FAILED, OK, REFUSED, SCHEMA
from service.backfill.worker import Task, partition
from service.rules.loader import Snapshot

INPUT_COLUMNS = "id string, text string, published_at string"
ARROW_RECORDS = 512  # documents per Arrow batch handed to a worker: bounds its memory, not its speed
LOCAL_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
PARTITIONS_PER_CORE = 4  # small tasks balance long and short documents across cores


@dataclass(frozen=True)
class Options:
    input: str
    output: str
    model: str
    master: str | None = None
    partitions: int | None = None
    types: frozenset[str] | None = None
    max_text_bytes: int = 1_000_000
    batch: int = 32
    conf: tuple[tuple[str, str], ...] = ()


@dataclass
class Summary:
    version: str
    documents: int
    seconds: float
    cores: int
    events: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    failed: int = 0

    def lines(self, output: str) -> list[str]:
        rate = self.documents / self.seconds if self.seconds else 0.0
        by_type = ", ".join(f"{t} {n}" for t, n in sorted(self.events.items())) or "none"
        return [
            f"rules {self.version}: {self.documents} documents in {self.seconds:.1f} s "
            f"({rate:.2f} docs/s, {rate / self.cores:.2f} per core on {self.cores} cores)",
            f"events: {sum(self.events.values())} ({by_type})",
            f"refused: {self.refused}, failed: {self.failed} (status rows; see docs/backfill.md)",
            f"output: {output}/rule_set_version={self.version}",
        ]


def write_archive(snapshot: Snapshot, directory: Path) -> Path:
    """The rule files as a zip whose bytes depend on their names and contents only."""
    path = directory / f"sitrep-rules-{snapshot.version}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in snapshot.files:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return path


def session(options: Options) -> SparkSession:
    builder = SparkSession.builder.appName("sitrep backfill")
    if options.master is not None:
        builder = builder.master(options.master)
    if (options.master or "local").startswith("local"):
        # local mode: workers are this interpreter (this venv), and nothing listens beyond loopback
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
        # the JVM shares the cores with the Python workers here: C1 only and a serial GC halve its CPU
        builder = builder.config("spark.driver.extraJavaOptions", LOCAL_JVM_OPTIONS)
    builder = builder.config("spark.sql.sources.partitionOverwriteMode", "dynamic").config(
        "spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_RECORDS)
    )
    for key, value in options.conf:
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def read_documents(spark: SparkSession, path: str) -> DataFrame:
    """`id`, `text`, `published_at` (as strings) from Parquet or JSON Lines."""
    local = Path(path)
    parquet = path.endswith(".parquet") or (local.is_dir() and any(local.rglob("*.parquet")))
    frame = spark.read.parquet(path) if parquet else spark.read.schema(INPUT_COLUMNS).json(path)
    published = F.col("published_at") if "published_at" in frame.columns else F.lit(None)
    return frame.select(
        F.col("id").cast("string").alias("id"),
        F.col("text").cast("string").alias("text"),
        published.cast("string").alias("published_at"),
    )


def run(options: Options, snapshot: Snapshot) -> Summary:
    """Extract from every document of `options.input` with the rules of `snapshot`."""
    spark = session(options)
    context = spark.sparkContext
    try:
        with tempfile.TemporaryDirectory(prefix="sitrep-backfill-") as tmp:
            archive = write_archive(snapshot, Path(tmp))
            context.addArchive(str(archive))
            docs = read_documents(spark, options.input)
            documents = docs.count()
            cores = context.defaultParallelism
            wanted = options.partitions or max(docs.rdd.getNumPartitions(), PARTITIONS_PER_CORE * cores)
            if wanted != docs.rdd.getNumPartitions():
                docs = docs.repartition(wanted)
            task = Task(archive.name, snapshot.version, options.model, options.types,
                        options.max_text_bytes, options.batch)  # fmt: skip
            context.setJobDescription(f"sitrep backfill: rules {snapshot.version}, {documents} documents")
            started = time.perf_counter()
            rows = docs.mapInArrow(functools.partial(partition, task), from_arrow_schema(SCHEMA))
            rows.write.mode("overwrite").partitionBy("rule_set_version").parquet(options.output)
            seconds = time.perf_counter() - started
        return _summarise(spark, options.output, snapshot.version, documents, seconds, cores)
    finally:
        spark.stop()


def _summarise(spark: SparkSession, output: str, version: str, documents: int, seconds: float, cores: int) -> Summary:
    """Counts read back from what was written, so the summary describes the output itself."""
    summary = Summary(version, documents, seconds, cores)
    written = spark.read.parquet(output).where(F.col("rule_set_version") == version)
    for status, kind, n in written.groupBy("status", "type").count().collect():
        if status == OK:
            summary.events[kind] += n
        elif status == REFUSED:
            summary.refused += n
        elif status == FAILED:
            summary.failed += n
    return summary
