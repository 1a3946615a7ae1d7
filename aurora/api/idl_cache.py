"""A cache of the parsed IDL, so that a command does not re-parse it every run.

thriftpy2 parses the IDL with ply, building its LALR tables first: about 45 ms
on every start. After the first parse we write a snapshot of what the parser
made (enums, structs, unions, services, constants: plain data, with classes
named rather than referenced) with `marshal`, keyed by the IDL's digest and
the thriftpy2 version, and later runs rebuild the same classes from it in a
few milliseconds. Any problem with the cache falls back to parsing.
"""

from __future__ import annotations

import _thread
import marshal
import os
import sys
import types
from typing import Any

FORMAT = 3
CLS, PAYLOAD = "__cls__", "__payload__"


def cache_path(idl_file: str) -> str:
    import thriftpy2

    from aurora.api.paths import cache_dir

    info = os.stat(idl_file)        # the file itself (device, inode), its size and its age
    digest = f"{info.st_dev:x}-{info.st_ino:x}-{info.st_size}-{info.st_mtime_ns}"
    key = f"{digest}-{thriftpy2.__version__}-{sys.version_info[0]}{sys.version_info[1]}"
    return os.path.join(cache_dir(), f"idl-{key}.marshal")


# -- snapshot -----------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    from thriftpy2.thrift import TPayload

    if isinstance(value, type):
        return (CLS, value.__name__)
    if isinstance(value, TPayload):
        return (PAYLOAD, type(value).__name__,
                {k: _encode(v) for k, v in vars(value).items()})
    if isinstance(value, tuple):
        return tuple(_encode(v) for v in value)
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _init_code(names: list[str]) -> types.CodeType:
    """The code of `def __init__(self, a=None, ...): self.a = a ...` (defaults come later)."""
    params = "".join(f", {n}=None" for n in names)
    body = "".join(f"\n    self.{n} = {n}" for n in names) or "\n    pass"
    module = compile(f"def __init__(self{params}):{body}\n", "<thrift __init__>", "exec")
    return next(c for c in module.co_consts if isinstance(c, types.CodeType))


def _struct(cls: type) -> dict[str, Any]:
    return {"name": cls.__name__, "ttype": cls._ttype, "base": cls.__mro__[1].__name__,
            "spec": _encode(cls.thrift_spec), "defaults": _encode(cls.default_spec),
            "oneway": getattr(cls, "oneway", None),
            "init": _init_code([name for name, _ in cls.default_spec])}


def snapshot(module: Any) -> dict[str, Any]:
    meta = module.__thrift_meta__
    structs = [dict(_struct(c), kind=kind) for kind in ("structs", "unions", "exceptions")
               for c in meta.get(kind, [])]
    enums = [{"name": e.__name__, "values": dict(e._NAMES_TO_VALUES)} for e in meta["enums"]]
    services = []
    for service in meta["services"]:
        base = service.__mro__[1]
        own = [n for n in service.thrift_services
               if not hasattr(base, "thrift_services") or n not in base.thrift_services]
        services.append({"name": service.__name__,
                         "base": base.__name__ if base is not object else None,
                         # each method's structs unmarshalled only when it is called
                         "functions": [(n, marshal.dumps(
                             (_struct(getattr(service, f"{n}_args")),
                              _struct(getattr(service, f"{n}_result")))))
                             for n in own]})
    classes = {c["name"] for c in structs} | {e["name"] for e in enums} | {
        s["name"] for s in services}
    consts = {k: _encode(v) for k, v in vars(module).items()
              if not k.startswith("_") and k not in classes and not isinstance(v, type)}
    return {"format": FORMAT, "structs": structs, "enums": enums, "services": services,
            "consts": consts}


# -- rebuild ------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, module: Any):
        self.module = module

    def __call__(self, value: Any) -> Any:
        if isinstance(value, tuple):
            if len(value) == 2 and value[0] == CLS:
                return getattr(self.module, value[1])
            if len(value) == 3 and value[0] == PAYLOAD:
                cls = getattr(self.module, value[1])
                return cls(**{k: self(v) for k, v in value[2].items()})
            return tuple(self(v) for v in value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value


def _new_struct(module: Any, data: dict[str, Any]) -> type:
    from thriftpy2 import thrift

    base = getattr(thrift, data["base"])
    return type(data["name"], (base,), {"__module__": module.__name__, "_ttype": data["ttype"]})


def _fill(cls: type, data: dict[str, Any], decode: _Decoder) -> None:
    """Give `cls` its spec and __init__ (struct-valued defaults build their structs)."""
    spec = decode(data["spec"])
    defaults = [(name, decode(value)) for name, value in data["defaults"]]
    cls.thrift_spec = spec
    cls.default_spec = defaults
    if data["oneway"] is not None:
        cls.oneway = data["oneway"]
    cls.__init__ = types.FunctionType(data["init"], {}, "__init__",  # type: ignore[misc]
                                      tuple(value for _, value in defaults))


class _LazyService(type):
    """A service class whose `<method>_args` / `<method>_result` structs are built on
    first use: a command calls one or two of the service's ~45 methods."""

    def __getattr__(cls, name: str) -> Any:
        for klass in cls.__mro__:
            pending = klass.__dict__.get("_pending_structs")
            if pending and name in pending:
                struct = pending.pop(name)()
                setattr(klass, name, struct)
                return struct
        raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")


def _service_structs(module: Any, blob: bytes, decode: _Decoder) -> tuple[Any, Any]:
    """Builders of one method's `_args` and `_result` structs, from one marshalled
    blob read on first use (a command calls one or two of ~45 methods)."""
    specs: list[Any] = []

    def builder(which: int) -> Any:
        def build() -> type:
            if not specs:
                specs.extend(marshal.loads(blob))
            struct = _new_struct(module, specs[which])
            _fill(struct, specs[which], decode)
            return struct
        return build
    return builder(0), builder(1)


# The devcluster's request threads share the module: one builder at a time (re-entrant,
# as building one struct may name others).
_BUILDING = _thread.RLock()


class _LazyModule(types.ModuleType):
    """The rebuilt IDL module: each struct class is made when first named and filled
    (its spec decoded) when first used, and each constant decoded when first named. A
    command uses a dozen of the ~90 structs; a reply's Result union alone names 25."""

    _pending: dict[str, dict[str, Any]]

    def __getattr__(self, name: str) -> Any:
        with _BUILDING:
            if name in self.__dict__:           # made by another thread meanwhile
                return self.__dict__[name]
            pending = self.__dict__.get("_pending")
            if pending and name in pending:
                return _make_struct(self, pending.pop(name))
            consts = self.__dict__.get("_pending_consts")
            if consts and name in consts:
                value = _Decoder(self)(consts.pop(name))
                setattr(self, name, value)
                return value
        if name == "__thrift_meta__":
            return _complete_meta(self)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


class _Unfilled:
    """`thrift_spec`, `default_spec` or `__init__` of a struct class made but not yet
    filled: the first read of any of them (by our code or thriftpy2's decoder) fills
    the class from its snapshot, and the real attribute answers."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        with _BUILDING:
            unfilled = owner.__dict__.get("_unfilled")
            if unfilled is not None:
                module, data = unfilled
                _fill(owner, data, _Decoder(module))
                del owner._unfilled     # type: ignore[attr-defined]
        return getattr(owner if obj is None else obj, self.name)


_UNFILLED = {name: _Unfilled(name) for name in ("thrift_spec", "default_spec", "__init__")}


def _make_struct(module: Any, data: dict[str, Any]) -> type:
    """Make one struct class, to be filled on first use: naming it costs no decoding, so
    a union naming 25 structs does not build them all."""
    cls = _new_struct(module, data)
    for name, unfilled in _UNFILLED.items():
        setattr(cls, name, unfilled)
    cls._unfilled = (module, data)      # type: ignore[attr-defined]
    setattr(module, data["name"], cls)
    return cls


def _complete_meta(module: Any) -> dict[str, list[Any]]:
    """thriftpy2's `__thrift_meta__`, every struct built: asked for by tools, not commands."""
    meta = module.__dict__["_meta"]
    for kind, name in module.__dict__["_struct_kinds"]:
        meta[kind].append(getattr(module, name))
    meta["consts"] = [getattr(module, name) for name in module.__dict__["_const_names"]]
    module.__thrift_meta__ = meta
    return meta


def rebuild(data: dict[str, Any], module_name: str, idl_file: str) -> Any:
    module = _LazyModule(module_name)
    module.__thrift_file__ = idl_file
    decode = _Decoder(module)
    for enum in data["enums"]:
        values = enum["values"]
        cls = type(enum["name"], (object,), {"__module__": module_name, "_ttype": 8,
                                             "_NAMES_TO_VALUES": dict(values),
                                             "_VALUES_TO_NAMES": {v: k for k, v in
                                                                  values.items()},
                                             **values})
        setattr(module, enum["name"], cls)
    meta: dict[str, list[Any]] = {k: [] for k in ("enums", "consts", "structs", "unions",
                                                  "exceptions", "services", "includes")}
    meta["enums"] = [getattr(module, e["name"]) for e in data["enums"]]
    module._pending = {s["name"]: s for s in data["structs"]}
    module._struct_kinds = [(s["kind"], s["name"]) for s in data["structs"]]
    module._meta = meta
    for service in data["services"]:
        base = getattr(module, service["base"]) if service["base"] else object
        pending = {}
        for name, blob in service["functions"]:
            pending[f"{name}_args"], pending[f"{name}_result"] = _service_structs(
                module, blob, decode)
        cls = _LazyService(service["name"], (base,), {"__module__": module_name,
                                                      "_pending_structs": pending})
        names = [name for name, _ in service["functions"]]
        cls.thrift_services = names + list(getattr(base, "thrift_services", []))
        setattr(module, service["name"], cls)
        meta["services"].append(cls)
    module._pending_consts = dict(data["consts"])   # decoded when first named, as structs
    module._const_names = list(data["consts"])
    sys.modules[module_name] = module
    return module


def load_cached(idl_file: str, module_name: str) -> Any:
    """The IDL module: rebuilt from the cache when it is there, else parsed and cached."""
    try:
        path = cache_path(idl_file)
        with open(path, "rb") as handle:    # whole: marshal.load(handle) makes a read
            data = marshal.loads(handle.read())   # call per object, 1.5 ms more
        if data.get("format") == FORMAT:
            return rebuild(data, module_name, idl_file)
    except Exception:   # noqa: BLE001 - a missing or stale cache just means parsing
        path = None
    import thriftpy2

    module = thriftpy2.load(idl_file, module_name=module_name)
    try:
        target = path or cache_path(idl_file)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as handle:
            marshal.dump(snapshot(module), handle)
        os.replace(tmp, target)
    except Exception:   # noqa: BLE001 - caching is an optimisation only
        pass
    return module
