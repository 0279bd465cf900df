"""Builds the one compiled part of Seawatch: the one-pass AIS NMEA scanner (seawatch/sources/_nmea_scan.c).
Everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "seawatch.sources._nmea_scan",
            ["seawatch/sources/_nmea_scan.c"],
            extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        )
    ]
)
