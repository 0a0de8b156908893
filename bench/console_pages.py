"""Every page of the console, loaded as a browser opens it, for ``bench_console_load.py --pages``.

A page load is what a browser does when it opens the page's address: ``GET <path>``, ``/_dash-layout``,
``/_dash-dependencies``, then every callback Dash's renderer fires on load, found the way the renderer finds
them (not listed by hand, so a page that gains a callback is measured with it): a callback fires when it is
neither ``prevent_initial_call`` nor clientside and all its inputs and outputs are in the shell or in the page
the routing callback returned. Inputs carry the values the layout gives them (the address for ``url.pathname``,
``zh`` for the language). Pattern-matching callbacks (dict ids) never fire on load in this console and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

ROUTE_OUTPUT = "..topbar.children...page.children.."
SHELL_VALUES: dict[tuple[str, str], Any] = {("lang", "data"): "zh", ("tick", "n_intervals"): 0}


def pages() -> list[tuple[str, str]]:
    """(name, path) of every page in the console's navigation, except the admin-only audit log."""
    from dashboard.app import PAGES

    return [(page.NAME, page.PATH) for page in PAGES if page.NAME != "audit"]


def components(tree: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, props) of every component with a plain string id in a Dash layout as JSON."""
    if isinstance(tree, list):
        for item in tree:
            yield from components(item)
    elif isinstance(tree, dict):
        props = tree.get("props") if "namespace" in tree else None
        if isinstance(props, dict):
            if isinstance(props.get("id"), str):
                yield props["id"], props
            for value in props.values():
                yield from components(value)


def _split(output: str) -> list[tuple[str, str]]:
    """``..a.b...c.d..`` or ``a.b`` (``@hash`` of allow_duplicate dropped) as [(id, property)]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [(ident, prop.split("@")[0]) for ident, prop in (part.rsplit(".", 1) for part in parts)]


def _body(dep: dict[str, Any], props: dict[str, dict[str, Any]], path: str) -> dict[str, Any]:
    def value(ident: str, prop: str) -> Any:
        if (ident, prop) == ("url", "pathname"):
            return path
        return SHELL_VALUES.get((ident, prop), props.get(ident, {}).get(prop))

    outputs = [{"id": i, "property": p} for i, p in _split(dep["output"])]
    return {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [{**x, "value": value(x["id"], x["property"])} for x in dep["inputs"]],
            "state": [{**x, "value": value(x["id"], x["property"])} for x in dep["state"]],
            "changedPropIds": [f"{x['id']}.{x['property']}" for x in dep["inputs"]]}


def on_load(deps: list[dict[str, Any]], props: dict[str, dict[str, Any]], path: str,
            done: set[str]) -> list[dict[str, Any]]:
    """Bodies of the callbacks that fire on load among ``deps``, given the components in ``props``."""
    bodies = []
    for dep in deps:
        ids = [x["id"] for x in dep["inputs"]] + [i for i, _ in _split(dep["output"])]
        if dep["output"] in done or dep.get("prevent_initial_call") or dep.get("clientside_function") \
                or not dep["inputs"]:  # a clientside callback runs in the browser, never on the server
            continue
        if all(isinstance(i, str) and not i.startswith("{") and i in props for i in ids):
            bodies.append(_body(dep, props, path))
            done.add(dep["output"])
    return bodies


async def _post(client: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    reply = await client.post("/_dash-update-component", json=body)
    if reply.status_code == 204:  # PreventUpdate: nothing to draw
        return {}
    if reply.status_code != 200:
        raise RuntimeError(f"callback {body['output']}: HTTP {reply.status_code}")
    return reply.json()


async def page_load(client: httpx.AsyncClient, path: str) -> int:
    """One page load as above; returns how many callbacks it fired; raises on any answer but 200/204."""
    for url in (path, "/_dash-layout", "/_dash-dependencies"):
        reply = await client.get(url)
        if reply.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {reply.status_code}")
        if url == "/_dash-layout":
            props = dict(components(reply.json()))
    deps = json.loads(reply.text)
    done: set[str] = set()
    fired = 0
    for body in on_load(deps, props, path, done):
        answer = await _post(client, body)
        fired += 1
        if body["output"] == ROUTE_OUTPUT:  # the page itself: its components' callbacks fire next
            page = answer.get("response", {}).get("page", {}).get("children")
            if page is None:
                raise RuntimeError(f"{path}: the routing callback drew no page")
            props.update(components(page))
    for body in on_load(deps, props, path, done):
        await _post(client, body)
        fired += 1
    return fired
