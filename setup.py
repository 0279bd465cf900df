"""Builds the compiled parts of Seawatch: the one-pass AIS NMEA scanner (seawatch/sources/_nmea_scan.c)
and the JSON Lines encoder of `seawatch decode` (seawatch/sources/_ais_jsonl.c).
Everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]

setup(
    ext_modules=[
        Extension("seawatch.sources._nmea_scan", ["seawatch/sources/_nmea_scan.c"], extra_compile_args=FLAGS),
        Extension("seawatch.sources._ais_jsonl", ["seawatch/sources/_ais_jsonl.c"], extra_compile_args=FLAGS),
    ]
)
