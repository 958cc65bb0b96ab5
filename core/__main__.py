"""`python -m cunwu` is the same as the `cunwu` command."""

from cunwu.cli import main

main()
