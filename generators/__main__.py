from generators.cli import run

run()
