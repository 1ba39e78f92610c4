"""Ship Python callables by value to processes that do not have the DAG file they came from.

Airflow imports a DAG file as a module named `unusual_prefix_<sha1 of path>_<stem>`, a name that
differs on every host and exists only where the file was parsed. Plain pickle and dill store
functions and classes *by reference* (module + name), so a check defined in a DAG file cannot be
loaded by the triggerer, which has no DAG files, or inside a container. `dumps` stores everything
defined in such a module *by value* instead: the code, the closure, and the module-level helpers,
constants and classes it uses (found recursively), while installed modules (`os`, `json`,
`airflow`, ...) stay references and are imported where the bytes are loaded.

Objects that only mean something inside the process that made them (locks, sockets, open files)
are refused at `dumps`, naming the object and the variable that holds it, instead of arriving as a
fresh lock or a closed file on the other side.

The format is `MAGIC + zlib(dill pickle)`. Loading runs the pickled code: only load bytes made by a
trusted party (Airflow itself, from a DAG file it runs anyway).
"""

from __future__ import annotations

import builtins
import contextvars
import dis
import io
import mmap
import operator
import pickle
import re
import socket
import threading
import types
import zlib
from collections.abc import Iterable
from typing import Any

import dill
import dill._dill
import dill.detect

MAGIC = b"AFS1"
DEFAULT_MAX_BYTES = 1 << 20
# Airflow's name for an imported DAG file: airflow._shared.module_loading.MODIFIED_DAG_MODULE_NAME.
DAG_FILE_MODULE = re.compile(r"^unusual_prefix_[0-9a-f]+_")

_PROCESS_BOUND: tuple[tuple[tuple[type, ...], str], ...] = (
    ((type(threading.Lock()), type(threading.RLock())), "a lock"),
    ((socket.socket,), "an open socket"),
    ((io.FileIO, io.BufferedReader, io.BufferedWriter, io.BufferedRandom, io.TextIOWrapper), "an open file"),
    ((mmap.mmap,), "a memory map"),
    ((types.GeneratorType, types.AsyncGeneratorType, types.CoroutineType), "a running generator or coroutine"),
)
_PROCESS_BOUND_ADVICE = ("It only exists inside this process: create it inside the function, or pass what it is "
                         "made from (a path, a URL, a connection id) instead.")


class ShippingError(ValueError):
    """An object cannot travel to another process; the message names it and who holds it."""

    def __init__(self, obj: Any, what: str, advice: str = _PROCESS_BOUND_ADVICE) -> None:
        super().__init__()
        self.chain: list[Any] = [obj]
        self.what = what
        self.advice = advice

    def reached_from(self, holder: Any) -> None:
        if _named(holder) and holder is not self.chain[-1]:
            self.chain.append(holder)

    def __str__(self) -> str:
        bad = self.chain[0]
        text = f"cannot ship {_short_repr(bad)} ({self.what})"
        inner = bad
        for holder in self.chain[1:]:
            name = _variable_holding(holder, inner)
            text += f", {'held as ' + repr(name) + ' by' if name else 'reached from'} {_describe(holder)}"
            inner = holder
        return f"{text}. {self.advice}"


class PayloadTooLarge(ValueError):
    """The pickled object is over the size cap; the message names the biggest variables it carries."""


def dumps(obj: Any, *, max_bytes: int = DEFAULT_MAX_BYTES, by_value_modules: Iterable[str] = ()) -> bytes:
    """Serialize `obj`, shipping whatever comes from a DAG file (or `by_value_modules`) by value.

    Raises ShippingError for process-bound objects (locks, sockets, open files) and
    PayloadTooLarge when the compressed result is over `max_bytes`.
    """
    by_value = frozenset(by_value_modules)
    raw = _pickle(obj, by_value)
    data = MAGIC + zlib.compress(raw, 6)
    if len(data) > max_bytes:
        raise PayloadTooLarge(_too_large_message(obj, len(data), max_bytes, by_value))
    return data


def loads(data: bytes) -> Any:
    """Rebuild an object made by `dumps`; needs neither the DAG file nor its module."""
    if not data.startswith(MAGIC):
        raise ValueError("not an airfleet.serialization payload (bad header); "
                         "make it with airfleet.serialization.dumps")
    return dill.loads(zlib.decompress(data[len(MAGIC):]))


def ships_by_value(module_name: str | None, extra: frozenset[str] = frozenset()) -> bool:
    return bool(module_name) and (module_name in extra or DAG_FILE_MODULE.match(module_name) is not None)


class _ShippingPickler(dill.Pickler):
    def __init__(self, file: io.BytesIO, by_value: frozenset[str]) -> None:
        # recurse: a by-value function carries only the globals it uses, not its module's dict.
        super().__init__(file, protocol=pickle.DEFAULT_PROTOCOL, recurse=True, byref=False)
        self.by_value = by_value

    def reducer_override(self, obj: Any) -> Any:
        for kinds, what in _PROCESS_BOUND:
            if isinstance(obj, kinds):
                raise ShippingError(obj, what)
        if isinstance(obj, types.ModuleType):
            if ships_by_value(obj.__name__, self.by_value):
                raise ShippingError(obj, "a module that exists only where the DAG files are",
                                    "Import what you use from it by name (from module import f): functions and "
                                    "classes travel by value, a module object cannot.")
            if obj.__name__ != "__main__":
                return _module_reduction(obj)
        return NotImplemented

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        try:
            super().save(obj, save_persistent_id)
        except ShippingError as error:
            error.reached_from(obj)
            raise
        except (pickle.PicklingError, TypeError) as error:
            raise ShippingError(obj, f"pickling failed: {error}",
                                "Make it picklable, or create it inside the function.") from error


class _Import:
    """Pickles as a call to dill's own importer, which every loading side has."""

    def __init__(self, name: str, required: bool) -> None:
        self.name, self.required = name, required

    def __reduce__(self) -> tuple[Any, ...]:
        return dill._dill._import_module, (self.name, not self.required)


def _module_reduction(module: types.ModuleType) -> tuple[Any, ...]:
    """A module by reference, with the submodules it had loaded as attributes.

    `import importlib.util` binds `importlib`; plain dill re-imports only `importlib`, and
    `importlib.util` is then missing in a fresh interpreter. Submodules are imported first, each
    optional; the module itself must import.
    """
    name = module.__name__
    subs = sorted(f"{name}.{attr}" for attr, value in vars(module).items()
                  if isinstance(value, types.ModuleType) and value.__name__ == f"{name}.{attr}")
    return operator.getitem, ([*(_Import(sub, False) for sub in subs), _Import(name, True)], -1)


def _pickle(obj: Any, by_value: frozenset[str]) -> bytes:
    buffer = io.BytesIO()
    token = _shipping.set(True)
    try:
        _ShippingPickler(buffer, by_value).dump(obj)
    finally:
        _shipping.reset(token)
    return buffer.getvalue()


_shipping: contextvars.ContextVar[bool] = contextvars.ContextVar("airfleet_shipping", default=False)
_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL"})


def _global_names(code: types.CodeType) -> set[str]:
    names = {op.argval for op in dis.get_instructions(code) if op.opname in _GLOBAL_OPS}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _referenced_globals(func: Any, recurse: bool = True, builtin: bool = False) -> dict[str, Any]:
    """The globals a function's own code uses (nested code objects included).

    dill's globalvars also walks into every function those globals point to, which never ends on
    mutual recursion (f calls g calls f) and reads bytecode by capturing sys.stdout. Walking is not
    needed: each function shipped by value carries its own globals when it is pickled.
    """
    func = getattr(func, "__func__", func)
    if not _shipping.get() or not isinstance(func, types.FunctionType):
        return _dill_globalvars(func, recurse, builtin)
    scope, extra = func.__globals__, vars(builtins) if builtin else {}
    return {name: scope[name] if name in scope else extra[name]
            for name in _global_names(func.__code__) if name in scope or name in extra}


def _locate_function(obj: Any, pickler: Any = None) -> bool:
    """dill asks this whether a function or class can be pickled by reference."""
    if isinstance(pickler, _ShippingPickler) and ships_by_value(getattr(obj, "__module__", None), pickler.by_value):
        return False
    return _dill_locate_function(obj, pickler)


# dill looks both helpers up as module globals at each call. The replacements behave differently
# only inside a dump that _pickle started, so other users of dill in the process see no change.
_dill_locate_function = getattr(dill._dill._locate_function, "_airfleet_original", dill._dill._locate_function)
_locate_function._airfleet_original = _dill_locate_function  # type: ignore[attr-defined]
dill._dill._locate_function = _locate_function
_dill_globalvars = getattr(dill.detect.globalvars, "_airfleet_original", dill.detect.globalvars)
_referenced_globals._airfleet_original = _dill_globalvars  # type: ignore[attr-defined]
dill.detect.globalvars = _referenced_globals


def _too_large_message(obj: Any, size: int, limit: int, by_value: frozenset[str]) -> str:
    sizes = []
    for name, value in _variables(obj).items():
        try:
            sizes.append((len(zlib.compress(_pickle(value, by_value), 6)), name))
        except Exception:  # noqa: BLE001 - only used to rank the culprits
            continue
    biggest = ", ".join(f"{name!r} ({_kib(n)})" for n, name in sorted(sizes, reverse=True)[:3])
    return (f"{_describe(obj)} is {_kib(size)} once serialized, over the {_kib(limit)} limit"
            + (f"; the biggest variables it carries: {biggest}" if biggest else "")
            + ". Load large data inside the function (from a file, a URL or a connection) instead of capturing it.")


def _variables(obj: Any) -> dict[str, Any]:
    """The globals, closure variables and defaults a function uses, or a class's attributes."""
    func = getattr(obj, "__func__", obj)
    if isinstance(func, types.FunctionType):
        found = {name: func.__globals__[name] for name in _global_names(func.__code__) if name in func.__globals__}
        cells = func.__closure__ or ()
        for name, cell in zip(func.__code__.co_freevars, cells, strict=False):
            try:
                found[name] = cell.cell_contents
            except ValueError:  # an empty cell
                continue
        for index, default in enumerate(func.__defaults__ or ()):
            found.setdefault(f"default #{index + 1}", default)
        found.update(func.__kwdefaults__ or {})
        return found
    if isinstance(obj, type):
        return {k: v for k, v in vars(obj).items() if not k.startswith("__")}
    return {}


def _variable_holding(holder: Any, inner: Any) -> str | None:
    return next((name for name, value in _variables(holder).items() if value is inner), None)


def _named(obj: Any) -> bool:
    return isinstance(obj, (types.FunctionType, types.MethodType, type))


def _describe(obj: Any) -> str:
    if isinstance(obj, type):
        kind = "class"
    elif isinstance(obj, (types.FunctionType, types.MethodType)):
        kind = "lambda" if obj.__name__ == "<lambda>" else "function"
    else:
        return _short_repr(obj)
    return f"{kind} {getattr(obj, '__qualname__', obj.__name__)!r} (module {getattr(obj, '__module__', '?')})"


def _short_repr(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 120 else text[:117] + "..."


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"
