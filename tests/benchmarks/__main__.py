"""`python -m tests.benchmarks`: see run.py and docs/performance.md."""

from tests.benchmarks.run import main

raise SystemExit(main())
