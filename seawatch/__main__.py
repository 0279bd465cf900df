from seawatch.cli import run

run()
