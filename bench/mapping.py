"""Mapping benchmark: turning sandbox-shaped shop payloads into domain records, against ``json.loads``.

1. Payloads. A sandbox shop (``--shop magento``, ``shopware`` or ``both``) with ``--orders`` orders
   (one customer per ten orders) runs in this process; every customer, order and refund page is read
   once through the adapter's own client, as the adapter asks for it, and each page is kept as the
   JSON text of its rows. Nothing of this is timed.
2. Ours, timed: per page, the JSON text parsed the way the adapter's client parses it (Magento
   ``parse_float=Decimal``, Shopware plain floats), then every row positioned in the keyset and mapped
   to its domain record by the adapter's mapping functions (what ``adapter.read`` does per row once the
   page has arrived).
3. Baseline, timed: the same pages parsed with plain ``json.loads`` and nothing else.

``ratio`` is ours / baseline over all streams; per stream the mapping alone is reported in µs per
record (parse excluded). ``time.process_time``, best of ``--repeats`` rounds, the sides interleaved.

Run: ``.venv/bin/python bench/mapping.py [--orders 5000] [--shop both|magento|shopware] [--json]``.
"""

from __future__ import annotations

import argparse
import gc
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from timing import best_of  # bench/ is on sys.path

from loyalty_connector.adapter import Stream
from loyalty_connector.testing import read_all

SEED = 7
PAGE = 100
Mapper = Callable[[dict[str, Any]], Any]


def customers_for(orders: int) -> int:
    """The sandboxes' own default ratio: one customer per ten orders."""
    return max(20, orders // 10)


def _pages(rows: list[dict[str, Any]], dump: Callable[[Any], str]) -> list[str]:
    return [dump(rows[i : i + PAGE]) for i in range(0, len(rows), PAGE)]


def magento_payloads(orders: int) -> tuple[dict[str, list[str]], dict[str, Mapper], Callable[[str], Any]]:
    """Pages of JSON text per stream, the per-row read step per stream, and the client's JSON parser."""
    from loyalty_connector.program import SourceConfig
    from loyalty_connector_magento import create
    from loyalty_connector_magento.client import to_jsonable
    from loyalty_connector_magento.mapping import map_customer, map_order, map_refund, position_of
    from loyalty_connector_magento.sandbox import MagentoSandbox

    pages: dict[str, list[str]] = {}
    with MagentoSandbox(seed=SEED, customers=customers_for(orders), orders=orders) as shop:
        config = SourceConfig(adapter="magento", base_url=shop.base_url, settings={"store_code": "all"})
        adapter = create("bench", config, shop.credentials, None)
        search = adapter.client.search
        for stream in Stream:
            rows: list[dict[str, Any]] = []

            def capture(*args: Any, _rows: list[dict[str, Any]] = rows, **kwargs: Any) -> Any:
                result = search(*args, **kwargs)
                _rows.extend(result.items)
                return result

            adapter.client.search = capture  # type: ignore[method-assign]
            read_all(adapter, stream, limit=PAGE)
            pages[stream.value] = _pages(rows, lambda value: json.dumps(to_jsonable(value)))
        adapter.close()

    def mapper(mapping: Callable[[dict[str, Any], str], Any], id_field: str) -> Mapper:
        def read(row: dict[str, Any]) -> Any:
            position_of(row, id_field)
            return mapping(row, "bench")

        return read

    mappers = {
        "customers": mapper(map_customer, "id"),
        "orders": mapper(map_order, "entity_id"),
        "refunds": mapper(map_refund, "entity_id"),
    }
    return pages, mappers, lambda text: json.loads(text, parse_float=Decimal)


def shopware_payloads(orders: int) -> tuple[dict[str, list[str]], dict[str, Mapper], Callable[[str], Any]]:
    """Pages of JSON text per stream, the per-row read step per stream, and the client's JSON parser."""
    from loyalty_connector_shopware.adapter import ShopwareAdapter
    from loyalty_connector_shopware.auth import ClientCredentialsGrant
    from loyalty_connector_shopware.client import ShopwareClient
    from loyalty_connector_shopware.criteria import stream_query
    from loyalty_connector_shopware.mapping import change_position, map_customer, map_order
    from loyalty_connector_shopware.refunds import map_refund
    from loyalty_connector_shopware.sandbox import ShopwareSandbox

    pages: dict[str, list[str]] = {}
    with ShopwareSandbox(seed=SEED, customers=customers_for(orders), orders=orders) as shop:
        credentials = shop.credentials
        grant = ClientCredentialsGrant(credentials["client_id"], credentials["client_secret"])
        client = ShopwareClient(shop.base_url, grant, source="bench")
        adapter = ShopwareAdapter("bench", client, page_size=PAGE)
        base_currency = client.default_currency()
        search = client.search
        for stream in Stream:
            rows: dict[str, dict[str, Any]] = {}

            def capture(*args: Any, _rows: dict[str, dict[str, Any]] = rows, **kwargs: Any) -> Any:
                result = search(*args, **kwargs)
                _rows.update((str(row.get("id")), row) for row in result)
                return result

            client.search = capture  # type: ignore[method-assign]
            read_all(adapter, stream, limit=PAGE)
            pages[stream.value] = _pages(list(rows.values()), json.dumps)
        adapter.close()

    def mapper(stream: Stream, mapping: Callable[[dict[str, Any]], Any]) -> Mapper:
        tiebreak = stream_query(stream).tiebreak

        def read(row: dict[str, Any]) -> Any:
            change_position(row, tiebreak)
            return mapping(row)

        return read

    mappers = {
        "customers": mapper(Stream.CUSTOMERS, lambda row: map_customer(row, "bench")),
        "orders": mapper(Stream.ORDERS, lambda row: map_order(row, "bench", base_currency=base_currency)),
        "refunds": mapper(Stream.REFUNDS, lambda row: map_refund(row, "bench")),
    }
    return pages, mappers, json.loads


def measure(shop: str, orders: int, repeats: int) -> dict[str, Any]:
    """Figures of one shop: parse+map vs parse only, and mapping µs per record of each stream."""
    load = magento_payloads if shop == "magento" else shopware_payloads
    pages, mappers, parse = load(orders)
    parsed = {stream: [parse(text) for text in texts] for stream, texts in pages.items()}
    counts = {stream: sum(len(page) for page in rows) for stream, rows in parsed.items()}
    for stream, rows in parsed.items():  # untimed: every payload must map (no quarantine here)
        for page in rows:
            for row in page:
                mappers[stream](row)
    gc.collect()
    gc.freeze()

    def ours() -> None:
        for stream, texts in pages.items():
            read = mappers[stream]
            for text in texts:
                for row in parse(text):
                    read(row)

    def baseline() -> None:
        for texts in pages.values():
            for text in texts:
                json.loads(text)

    runs: dict[str, Callable[[], None]] = {"ours": ours, "baseline": baseline}
    for stream, rows in parsed.items():

        def map_only(read: Mapper = mappers[stream], rows: list[Any] = rows) -> None:
            for page in rows:
                for row in page:
                    read(row)

        runs[stream] = map_only
    best = best_of(repeats, runs)
    gc.unfreeze()
    records = sum(counts.values())
    return {
        "shop": shop,
        "records": records,
        "ratio": round(best["ours"] / best["baseline"], 3),
        "us_per_record": round(best["ours"] / records * 1e6, 1),
        "baseline_us_per_record": round(best["baseline"] / records * 1e6, 1),
        "map_us": {s: round(best[s] / counts[s] * 1e6, 1) for s in counts if counts[s]},
        "counts": counts,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders in each sandbox (default 5,000)")
    parser.add_argument("--shop", choices=("both", "magento", "shopware"), default="both")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best counts (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    shops = ("magento", "shopware") if args.shop == "both" else (args.shop,)
    results = [measure(shop, args.orders, args.repeats) for shop in shops]
    figures: dict[str, Any] = {
        "orders": args.orders,
        "ratio": max(r["ratio"] for r in results),
        "shops": {r["shop"]: r for r in results},
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    for r in results:
        counts = ", ".join(f"{n:,} {s}" for s, n in r["counts"].items())
        print(f"{r['shop']}: {counts}")
        print(
            f"  parse + map {r['us_per_record']} µs/record, json.loads only "
            f"{r['baseline_us_per_record']} µs/record: ratio {r['ratio']}"
        )
        print("  mapping alone: " + ", ".join(f"{s} {us} µs" for s, us in r["map_us"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
