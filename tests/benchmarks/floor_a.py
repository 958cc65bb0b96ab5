"""Floor A: the least a Litestar app can do — one handler returning a short string, no middleware, no database.

Served exactly like the product (`uvicorn tests.benchmarks.floor_a:app`), so the difference to a product row is what
the product itself costs.
"""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "村务公开"


app = Litestar(route_handlers=[hello])
