"""Fitted load models kept between plans: fit once a day, predict on demand.

A fit is named by what decides it: its training window (first and last instant), the site file and the
working calendar (as validated), the load columns, the trees' settings, the feature list, this file's format
version and scikit-learn's version, hashed with SHA-256 (:func:`window_key`). Every plan made during the eve of
a day has the same window (it ends before the eve), so the day's first plan fits and every later one only
predicts, without even reading the year of training rows. An edited site or calendar file, a new setting or an
upgraded scikit-learn is a new key and a fresh fit; a reading backfilled into a window already fitted is used
from the next day's fit on (the window moves every day).

A fit records when it was made (``fitted_at``, UTC), which the plan and the console's Plan page show. Callers
asking for the same key at once share one fit: the scheduled service fits ahead in the background
(:func:`planning.tomorrow.fit_ahead`) and a Plan view arriving meanwhile waits for that fit instead of making a
second one.

Two levels: a few fits in memory (the console's process plans many times a day), and, given a directory (the
data dir's ``forecast_models/``), pickled files that outlive the process (``zerocarbon plan`` from cron). A file
is only trusted when its format, scikit-learn version and key match; anything else (truncated, older format,
another scikit-learn, unreadable) is logged and refitted, never an error. The files are the service's own
(written by it into its data dir, like the DuckDB file); pickles load code, so that dir must not be writable
by others.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn

log = logging.getLogger(__name__)

FORMAT = 3  # bump when the pickled payload or the meaning of a feature changes
Models = dict[str, Any]


def window_key(first: pd.Timestamp, last: pd.Timestamp, config: dict[str, Any]) -> str:
    """The SHA-256 naming a fit: the training window and everything else that decides the models (``config``:
    settings, features, columns, the site and calendar as validated), plus the format and scikit-learn."""
    meta = {"format": FORMAT, "sklearn": sklearn.__version__, "first": pd.Timestamp(first).isoformat(),
            "last": pd.Timestamp(last).isoformat(), "config": config}
    return hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode()).hexdigest()


class ModelCache:
    """Fitted models by training key: ``keep`` in memory, and pickled in ``directory`` when one is given."""

    def __init__(self, directory: Path | None = None, keep: int = 4, keep_files: int = 8) -> None:
        self.directory, self.keep, self.keep_files = directory, keep, keep_files
        self._memory: OrderedDict[str, tuple[Models, str]] = OrderedDict()  # key -> (models, fitted_at)
        self._lock = threading.Lock()
        self._fitting: dict[str, threading.Lock] = {}  # one lock per key being obtained: one fit, not two
        self.hits = self.fits = 0
        self.last = ""  # "memory", "file" or "fitted": how the latest models were obtained
        self.last_fitted_at = ""  # ISO 8601 (UTC) of the latest models' fit

    def fitted(self, key: str, fit: Callable[[], Models]) -> Models:
        """The models named ``key``: from memory, from the directory, or ``fit()`` (then kept)."""
        return self.models_and_time(key, fit)[0]

    def models_and_time(self, key: str, fit: Callable[[], Models]) -> tuple[Models, str]:
        """:meth:`fitted` and when the models were fitted (ISO 8601, UTC). A caller that arrives while another
        is obtaining the same key waits for it and then takes its models from memory."""
        with self._lock:
            gate = self._fitting.setdefault(key, threading.Lock())
        with gate:
            models, fitted_at, how = self._obtain(key, fit)
            with self._lock:
                self.last, self.last_fitted_at = how, fitted_at
                self.hits += how != "fitted"
                self.fits += how == "fitted"
                self._memory[key] = (models, fitted_at)
                self._memory.move_to_end(key)
                while len(self._memory) > self.keep:
                    self._memory.popitem(last=False)
                if self._fitting.get(key) is gate:
                    del self._fitting[key]
        return models, fitted_at

    def _obtain(self, key: str, fit: Callable[[], Models]) -> tuple[Models, str, str]:
        with self._lock:
            kept = self._memory.get(key)
        if kept is not None:
            return kept[0], kept[1], "memory"
        found = self._read(key)
        if found is not None:
            return found[0], found[1], "file"
        models = fit()
        fitted_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._write(key, models, fitted_at)
        return models, fitted_at, "fitted"

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / f"load-models-{key[:32]}.pickle"

    def _read(self, key: str) -> tuple[Models, str] | None:
        if self.directory is None or not self._path(key).exists():
            return None
        path = self._path(key)
        try:
            with path.open("rb") as f:
                payload = pickle.load(f)  # noqa: S301 - our own file in the service's data dir (see above)
        except Exception as exc:  # a truncated or foreign pickle raises almost anything: refit
            log.warning("%s: unreadable (%s); fitting the load models again", path, exc)
            return None
        wanted = {"format": FORMAT, "sklearn": sklearn.__version__, "key": key}
        found = {k: payload.get(k) for k in wanted} if isinstance(payload, dict) else {}
        if found != wanted:
            log.info("%s: written by %s, need %s; fitting the load models again", path, found, wanted)
            return None
        return payload["models"], str(payload.get("fitted_at", ""))

    def _write(self, key: str, models: Models, fitted_at: str) -> None:
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = {"format": FORMAT, "sklearn": sklearn.__version__, "key": key, "models": models,
                       "fitted_at": fitted_at}
            tmp = self._path(key).with_suffix(".tmp")
            with tmp.open("wb") as f:
                pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._path(key))  # readers see the old file or the whole new one
            self._prune()
        except OSError as exc:  # a full or read-only disk costs a refit next time, not the plan
            log.warning("%s: cannot keep the fitted load models (%s)", self.directory, exc)

    def _prune(self) -> None:
        assert self.directory is not None
        files = sorted(self.directory.glob("load-models-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[self.keep_files:]:
            old.unlink(missing_ok=True)


SHARED = ModelCache()  # this process's fits: the console plans many times a day from one process
MODELS_DIR = "forecast_models"  # under the data dir


def keep_in(directory: Path) -> ModelCache:
    """Let this process's shared cache also keep its fits in ``directory`` (the wiring passes the data dir's
    ``forecast_models/``), so a plan in a new process reuses the day's fit."""
    SHARED.directory = directory
    return SHARED
