"""Reading and writing files: run folders, atomic writes, spreadsheet-safe CSV, checked readers.

Every file hotspot-sim writes goes through here, so each is written the same
careful way, and every table it reads back fails with a message naming the
file and what to do:

* **Atomic writes.** :func:`atomic_file` writes to a fresh temporary file
  (``O_EXCL``, never through a symbolic link planted at a predictable name)
  and renames it into place, so a killed process never leaves half a file.
  :func:`write_parquet` and :func:`write_text` use it.
* **Run folders.** :func:`write_run_folder` fills a hidden sibling folder
  and swaps it in, so a new run never inherits an old run's files (another
  policy's hot spots or dose plan), and an existing run is replaced only
  when asked (:func:`check_run_folder`).
* **CSV for people.** :func:`write_csv` quotes text a spreadsheet would run
  as a formula ("CSV injection").
* **Checked readers.** :func:`read_parquet`, :func:`read_json` and
  :func:`read_csv_text` turn a damaged, empty, binary or oddly encoded file
  into a :class:`~hotspot_sim.errors.DataError` naming it.
* **Arrow's memory.** :func:`arrow_pool` makes pyarrow allocate from the system
  allocator, which gives freed memory back (pyarrow's default, mimalloc, keeps it).
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from ._file_bytes import binary_problem, holds_utf8_sequences, read_bytes
from .errors import ConfigError, DataError

log = logging.getLogger(__name__)

_Result = TypeVar("_Result")


# --------------------------------------------------------------------------- #
# Atomic writes
# --------------------------------------------------------------------------- #


@lru_cache(maxsize=1)
def _umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path):
    """Open a new binary file that replaces ``path`` only when the block succeeds.

    The temporary file is made with :func:`tempfile.mkstemp` (``O_EXCL``) in
    the destination folder, so a symbolic link planted at a predictable
    temporary name is never followed, and a killed process never leaves half
    a file at ``path``. The file gets the permissions the umask allows (not
    mkstemp's private ones).

    Parameters
    ----------
    path : Path
        The file to write; its folder must exist.

    Yields
    ------
    file
        A binary file open for writing.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def arrow_pool():
    """pyarrow's system-allocator pool, made the process's default pool on first use.

    pyarrow's default pool (mimalloc, one arena per thread) keeps memory it has freed:
    a one-year run that streams its logs to parquet and reads them back peaked at
    379 MB with it and 336 MB with the system allocator (benchmarks/bench_scale.py
    ``--only-year``).  ``ParquetWriter``, ``ParquetFile`` and ``Table.from_pandas``
    take no pool argument, so the pool is set once for the process
    (``pyarrow.set_memory_pool``) by every part of hotspot-sim that uses arrow:
    the log streams, the run folder's tables and their read-backs.  Arrow's C++ code
    (parquet pages, decompression) takes its pool from ``ARROW_DEFAULT_MEMORY_POOL``
    when pyarrow loads, which ``import hotspot_sim`` sets to ``system`` unless it is
    set already.  A user who chose another pool with that variable keeps theirs.

    Returns
    -------
    pyarrow.MemoryPool
        The pool arrow allocates from now (pass it where an API takes ``memory_pool``).
    """
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system") != "system":
        return pa.default_memory_pool()
    pool = pa.system_memory_pool()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)
    return pool


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as parquet at ``path`` atomically (see :func:`atomic_file`).

    Parameters
    ----------
    df : pandas.DataFrame
        The table (its index is not written).
    path : Path
        The file.
    """
    arrow_pool()
    with atomic_file(path) as fh:
        df.to_parquet(fh, index=False)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` at ``path`` atomically (see :func:`atomic_file`).

    Parameters
    ----------
    path : Path
        The file.
    text : str
        Its content.
    """
    with atomic_file(path) as fh:
        fh.write(text.encode("utf-8"))


# --------------------------------------------------------------------------- #
# Run folders
# --------------------------------------------------------------------------- #


def write_run_folder(folder: Path, fill: Callable[[Path], _Result],
                     overwrite: bool = False) -> _Result:
    """Write a run folder whole: fill a hidden sibling folder, then swap it in.

    Parameters
    ----------
    folder : Path
        The run folder; its parents are created.
    fill : callable
        Called with the new, empty staging folder; writes every file into it.
    overwrite : bool
        Replace a run already in `folder` (else that is an error).

    Returns
    -------
    object
        What `fill` returned.

    Raises
    ------
    ConfigError
        If `folder` holds a run and `overwrite` is false, or holds other
        files (see :func:`check_run_folder`); checked before and after `fill`,
        since another process may have written meanwhile.
    """
    folder = Path(folder)
    check_run_folder(folder, overwrite)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        result = fill(staging)
        check_run_folder(folder, overwrite)  # again: another process may have written meanwhile
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def check_run_folder(folder: Path, overwrite: bool = False) -> None:
    """Check that a run may be written as ``folder`` (call it before simulating).

    Absent or empty folders are fine; a folder holding a run (``run.json`` or
    parquet tables) is fine only with ``overwrite``; any other folder or file
    is never replaced, so a mistyped ``--out`` cannot delete a user's files.

    Parameters
    ----------
    folder : Path
        The run folder asked for.
    overwrite : bool
        Whether a run already there may be replaced.

    Raises
    ------
    ConfigError
        Naming the folder, what it holds and what to do.
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink() or not folder.is_dir():
        raise ConfigError(f"run folder {folder} exists and is not a folder (a file or symbolic "
                          "link); give a new folder with --out")
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return
    if "run.json" not in names and not any(n.endswith(".parquet") for n in names):
        raise ConfigError(f"{folder} is not empty and holds no run ({', '.join(names[:5])}"
                          f"{', ...' if len(names) > 5 else ''}); it is never replaced: give a "
                          "new or empty folder with --out")
    if not overwrite:
        raise ConfigError(f"{folder} already holds a run ({_describe_run(folder)}); add "
                          "--overwrite to replace it, or give another folder with --out")


def holds_same_run(folder: Path, model, days: float) -> bool:
    """Whether ``folder`` holds a run made with exactly these settings.

    Same scenario (every key), policy, policy parameters and days: one seed
    gives identical outputs, so replacing such a run loses nothing. Anything
    unreadable counts as different.

    Parameters
    ----------
    folder : Path
        A run folder (``scenario.json`` and ``run.json``).
    model : PatrolModel
        The model about to run (its ``config``, ``policy_name`` and ``policy.params``).
    days : float
        Days it will run.

    Returns
    -------
    bool
        True only when every setting matches.
    """
    folder = Path(folder)
    try:
        stored_scenario = json.loads((folder / "scenario.json").read_text())
        stored = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return False
    ours = json.loads(json.dumps(model.config.to_dict(), default=str))
    params = json.loads(json.dumps(model.policy.params, default=str))
    return (stored_scenario == ours and stored.get("policy") == model.policy_name
            and stored.get("policy_params") == params
            and stored.get("days") == round(days * 1440) / 1440)


def _describe_run(folder: Path) -> str:
    """'policy X, N days, seed S, written T' from a run folder's run.json, if readable."""
    try:
        m = json.loads((folder / "run.json").read_text())
        return (f"policy {m['policy']}, {float(m['days']):g} days, seed {m['seed']}, "
                f"written {m['written']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "its run.json is missing or unreadable"


def _swap_in(staging: Path, folder: Path) -> None:
    """Put the finished folder ``staging`` at ``folder``, replacing any old one.

    Renames only: the old folder is moved aside, the new one moved in (the old
    one is moved back if that fails), then the old one is deleted.
    """
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it private
    if not folder.exists():
        os.rename(staging, folder)
        return
    old = folder.with_name(f".{folder.name}.old-{secrets.token_hex(4)}")
    os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Checked readers
# --------------------------------------------------------------------------- #


def read_parquet(path: Path, fix: str) -> pd.DataFrame:
    """Read a parquet table, or raise DataError naming the file when it is damaged.

    Parameters
    ----------
    path : Path
        The table.
    fix : str
        What the user should do, e.g. "rerun that run (hotspot-sim run --overwrite)".

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    DataError
        If the file is empty (0 bytes), truncated or not parquet.
    """
    import pyarrow as pa

    arrow_pool()
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _unreadable_parquet(path, exc, fix) from None


def check_parquet(path: Path, fix: str) -> None:
    """Raise :func:`read_parquet`'s DataError if ``path`` is not readable parquet.

    Reads only the file's footer (for a table read later in parts).

    Parameters
    ----------
    path : Path
        The table.
    fix : str
        What the user should do.

    Raises
    ------
    DataError
        If the file is empty (0 bytes), truncated or not parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pq.ParquetFile(path).close()
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _unreadable_parquet(path, exc, fix) from None


def _unreadable_parquet(path: Path, exc: Exception, fix: str) -> DataError:
    size = path.stat().st_size if path.is_file() else 0
    what = "it is empty (0 bytes)" if size == 0 else \
        f"it is damaged or not parquet ({size:,} bytes; {str(exc).splitlines()[0]})"
    return DataError(f"{path}: cannot read this table: {what}; {fix}")


def read_json(path: Path, fix: str) -> dict:
    """Read a JSON file (run.json, manifest.json), or raise DataError naming it when damaged.

    Parameters
    ----------
    path : Path
        The file.
    fix : str
        What the user should do when it cannot be read.

    Returns
    -------
    dict
        The parsed JSON.

    Raises
    ------
    DataError
        If the file is missing, unreadable or not JSON.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read this JSON file ({exc}); {fix}") from None


def _decode_legacy(raw: bytes, pos: int, path: Path, what: str) -> str:
    """Decode a non-UTF-8 export as Windows-1252 (else latin-1), with a counted warning.

    Excel and older police systems save CSV as Windows-1252; latin-1 is the
    same for every printable character. A file that also holds valid UTF-8
    sequences mixes encodings: guessing would garble it, so that is an error.
    `pos` is the offset of the first byte that is not UTF-8.
    """
    line = raw.count(b"\n", 0, pos) + 1
    if holds_utf8_sequences(raw):
        raise DataError(f"{path}: line {line}: byte 0x{raw[pos]:02X} is not UTF-8, but other lines "
                        f"are: the {what} file mixes text encodings. Re-save it as UTF-8 "
                        "(e.g. Excel: 'CSV UTF-8').")
    try:
        text, encoding = raw.decode("cp1252"), "Windows-1252 (cp1252)"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1 (ISO-8859-1)"
    n_lines = sum(not ln.isascii() for ln in text.splitlines())
    log.warning("%s: the %s file is not UTF-8 (line %d: byte 0x%02X); read it as %s: %d line(s) "
                "hold non-ASCII characters. Re-save it as UTF-8 to silence this warning.",
                path, what, line, raw[pos], encoding, n_lines)
    return text


def read_csv_text(path: Path, what: str = "CSV") -> str:
    """The decoded text of a CSV file, or a DataError saying why it cannot be read.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order
    mark are read as they are; a Windows-1252 / latin-1 export is read with a
    warning naming the encoding and counting the lines it affects; a gzip-
    compressed file is decompressed first.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file holds (``"police.uk"``, ``"GPS"``...), for messages.

    Returns
    -------
    str
        The text, without byte-order mark; line endings as in the file.

    Raises
    ------
    DataError
        Naming the file when it is missing or unreadable, empty (only
        whitespace), binary ("not a text CSV", with the format or the line
        and byte), or mixes UTF-8 with another encoding (line and byte).
    """
    path = Path(path)
    raw = read_bytes(path, what)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: the {what} file starts as UTF-16 but byte {exc.start} is "
                            "not; re-save it as UTF-8") from None
    if not raw.removeprefix(codecs.BOM_UTF8).strip():
        raise DataError(f"{path}: the {what} file is empty ({len(raw)} bytes); expected a header "
                        "line and at least one row")
    problem = binary_problem(raw)
    if problem:
        raise DataError(f"{path}: not a text CSV ({problem}); export the {what} data as a CSV "
                        "text file (UTF-8) and give that file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # offsets count from after the byte-order mark
        bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
        return _decode_legacy(raw, exc.start + bom, path, what)



# --------------------------------------------------------------------------- #
# CSV for people (spreadsheet-safe)
# --------------------------------------------------------------------------- #

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Parameters
    ----------
    value : object
        A cell or column name.

    Returns
    -------
    object
        Text starting with one of :data:`FORMULA_STARTS` gets a leading quote;
        anything else (numbers too) is returned as it is.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("On or near High Street"), safe_cell(-3)
    ('\\'=HYPERLINK("http://x")', 'On or near High Street', -3)
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot run as formulas.

    Parameters
    ----------
    df : pandas.DataFrame
        Any table; it is not changed.

    Returns
    -------
    pandas.DataFrame
        The copy, with :func:`safe_cell` applied to column names and to every
        text (object, string or categorical) column.
    """
    out = df.rename(columns=safe_cell)
    for i, dtype in enumerate(out.dtypes):
        if dtype == object or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out.isetitem(i, out.iloc[:, i].map(safe_cell))
    return out


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write ``df`` as CSV (no index unless asked) with :func:`spreadsheet_safe` cells.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : str or Path
        The file.
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    Path
        ``path``.
    """
    kwargs.setdefault("index", False)
    spreadsheet_safe(df).to_csv(path, **kwargs)
    return Path(path)
