"""Benchmark of agentrl/WebShop-v0 (WebShop, Yao et al., 2022, arXiv 2207.01206).

Measures, for generated catalogs of 1,000 and 10,000 products (and 100,000 with ``--full``):
build time (cold: generate + index into a fresh cache; warm: a fresh instance from the cache),
search latency (the numpy BM25 path and FTS5's own ``bm25()`` in SQL, no result cache),
environment steps per second over a mix of expert and random-agent episodes that includes every
search they make (with the default engine result cache and with no cache at all), and the
expert's and a random agent's success on the test split.

Run: ``python -m benchmarks.webshop [--full]``. Prints a table and writes
``benchmarks/results/webshop.json``. The machine's CPU is shared with other work, so timings are
noisy lower bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from agentrl.environments.webshop import shop as shop_module
from agentrl.environments.webshop.env import WebShopEnv
from agentrl.environments.webshop.search import SearchIndex, query_terms

RESULTS = Path(__file__).parent / "results" / "webshop.json"


def _episodes(env: WebShopEnv, policy: str, tasks: list[Any], seed: int) -> dict[str, float]:
    """Play one episode per task; return steps, searches, seconds, success and score."""
    rng = random.Random(seed)
    steps = searches = wins = 0
    score = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i, task in enumerate(tasks):
        _, info = env.reset(seed=i, options={"task_id": task.task_id})
        words = task.instruction.split()
        for _ in range(env.max_turns):
            if policy == "expert":
                action = info["expert_action"]
            else:
                action = rng.choice(info["admissible_actions"])
                if action.startswith("search["):
                    action = f"search[{' '.join(rng.sample(words, min(3, len(words))))}]"
            searches += action.startswith("search[")
            _, _, term, _, info = env.step(action)
            steps += 1
            if term:
                break
        wins += bool(info["success"])
        score += float(info["score"])
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {"episodes": len(tasks), "steps": steps, "searches": searches, "seconds": seconds,
            "cpu_seconds": cpu, "steps_per_s": steps / seconds, "steps_per_cpu_s": steps / cpu,
            "success": wins / len(tasks),
            "mean_score": score / len(tasks)}


def _search_latency(env: WebShopEnv, n: int = 200) -> dict[str, float]:
    index = SearchIndex(env.shop.index_path, cache_size=0)
    tasks = env.tasks("train")[:n]
    out: dict[str, float] = {}
    for name, queries in (("keywords", [query_terms(t.data["keywords"]) for t in tasks]),
                          ("instruction", [query_terms(t.instruction) for t in tasks])):
        for q in queries:  # load posting lists once, as a running environment has them
            index.search(q)
        start = time.perf_counter()
        for q in queries:
            index.search(q)
        out[f"numpy_bm25_ms_{name}"] = (time.perf_counter() - start) / len(queries) * 1e3
        start = time.perf_counter()
        for q in queries[:50]:
            index.search_fts5(q)
        out[f"fts5_sql_bm25_ms_{name}"] = (time.perf_counter() - start) / 50 * 1e3
    index.close()
    return out


def run_size(num_products: int, cache_root: Path) -> dict[str, Any]:
    kwargs = {"num_products": num_products, "cache_dir": cache_root}
    start = time.perf_counter()
    env = WebShopEnv(**kwargs)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    WebShopEnv(**kwargs).close()
    warm_memory = time.perf_counter() - start
    shop_module._memory.clear()
    start = time.perf_counter()
    WebShopEnv(**kwargs).close()
    warm_disk = time.perf_counter() - start

    result: dict[str, Any] = {
        "num_products": num_products,
        "build_cold_s": cold,
        "new_instance_s_in_process": warm_memory,
        "new_instance_s_from_disk_cache": warm_disk,
        "search": _search_latency(env),
    }
    test = env.tasks("test")
    train = env.tasks("train")[:300]
    for label, cache_size in (("default_cache", 256), ("no_result_cache", 0)):
        e = WebShopEnv(**kwargs, search_cache_size=cache_size)
        expert = _episodes(e, "expert", test, seed=0)
        rand = _episodes(e, "random", train, seed=1)
        steps = expert["steps"] + rand["steps"]
        seconds = expert["seconds"] + rand["seconds"]
        cpu = expert["cpu_seconds"] + rand["cpu_seconds"]
        result[label] = {
            "expert": expert, "random": rand,
            "mixed_steps_per_s": steps / seconds,
            "mixed_steps_per_cpu_s": steps / cpu,
            "mixed_searches": expert["searches"] + rand["searches"],
            "mixed_steps": steps,
        }
        e.close()
    env.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also measure 100,000 products")
    args = parser.parse_args()
    sizes = [1000, 10_000] + ([100_000] if args.full else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="webshop-bench-") as tmp:
        for n in sizes:
            rows.append(run_size(n, Path(tmp)))
            r = rows[-1]
            nc, dc = r["no_result_cache"], r["default_cache"]
            print(f"{n:>7} products | build {r['build_cold_s']:.2f}s | new instance "
                  f"{r['new_instance_s_in_process'] * 1e3:.0f} ms (disk cache "
                  f"{r['new_instance_s_from_disk_cache'] * 1e3:.0f} ms) | search "
                  f"{r['search']['numpy_bm25_ms_keywords']:.2f} ms (FTS5 SQL "
                  f"{r['search']['fts5_sql_bm25_ms_keywords']:.2f} ms) | steps/s wall "
                  f"{dc['mixed_steps_per_s']:.0f} (no cache {nc['mixed_steps_per_s']:.0f}), per "
                  f"CPU-s {dc['mixed_steps_per_cpu_s']:.0f} (no cache "
                  f"{nc['mixed_steps_per_cpu_s']:.0f}) | "
                  f"expert {dc['expert']['success']:.3f} random {dc['random']['success']:.3f}")
    out = {
        "benchmark": "webshop",
        "env": "agentrl/WebShop-v0",
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "note": "CPU shared with other engineers' jobs while measuring; timings "
                            "are noisy lower bounds"},
        "workload": "expert on all 200 test goals + random agent (random clickables, searches "
                    "of 3 random instruction words) on 300 train goals; steps include searches",
        "target_steps_per_s_10k": 2000,
        "load_average_at_end": os.getloadavg(),
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"saved {RESULTS}")
    summary = {r["num_products"]: round(r["no_result_cache"]["mixed_steps_per_s"]) for r in rows}
    print("wall-clock steps/s without result cache by catalog size:", summary,
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
