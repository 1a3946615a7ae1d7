"""Write aurora/api/aurora_api.thrift from the facts of a reference IDL.

The wire contract (field ids, names, wire types, defaults, enum values, service
signatures) must be identical to the scheduler's; everything else in our IDL
(layout, order of members in a file, comments) is ours. This tool loads the
reference with thriftpy2 and renders only those facts, in our own format:

    .venv/bin/python tests/tools/gen_idl.py ../shared/reference/api.thrift \
        > aurora/api/aurora_api.thrift

tests/unit/test_idl.py checks the result against the reference spec by spec.
"""

from __future__ import annotations

import sys
from typing import Any

import thriftpy2
from thriftpy2.thrift import TType

SCALARS = {TType.BOOL: "bool", TType.BYTE: "byte", TType.I16: "i16", TType.I32: "i32",
           TType.I64: "i64", TType.DOUBLE: "double", TType.STRING: "string"}


class Renderer:
    def __init__(self, module: Any):
        self.module = module
        meta = module.__thrift_meta__
        self.enums = set(meta["enums"])
        self.unions = set(meta["unions"])
        self.const_types: dict[str, str] = {}

    def type_name(self, ttype: int, extra: Any) -> str:
        if ttype in SCALARS:
            if ttype == TType.I32 and isinstance(extra, type) and extra in self.enums:
                return extra.__name__
            return SCALARS[ttype]
        if ttype == TType.STRUCT:
            return extra.__name__
        if ttype in (TType.LIST, TType.SET):
            kind = "list" if ttype == TType.LIST else "set"
            return f"{kind}<{self.type_name(*self.element(extra))}>"
        if ttype == TType.MAP:
            (kt, kx), (vt, vx) = self.element(extra[0]), self.element(extra[1])
            return f"map<{self.type_name(kt, kx)}, {self.type_name(vt, vx)}>"
        raise ValueError(f"unsupported thrift type {ttype}")

    @staticmethod
    def element(spec: Any) -> tuple[int, Any]:
        return (spec, None) if isinstance(spec, int) else (spec[0], spec[1])

    def field_type(self, spec: tuple) -> str:
        ttype = spec[0]
        extra = spec[2] if len(spec) == 4 else None
        return self.type_name(ttype, extra)

    def literal(self, value: Any, ttype: int, extra: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            if isinstance(extra, type) and extra in self.enums:
                return f"{extra.__name__}.{extra._VALUES_TO_NAMES[value]}"
            return repr(value)
        if isinstance(value, str):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if ttype in (TType.LIST, TType.SET):
            et, ex = self.element(extra)
            items = sorted(value) if ttype == TType.SET else value
            return "[" + ", ".join(self.literal(v, et, ex) for v in items) + "]"
        if hasattr(value, "thrift_spec"):
            parts = []
            for fid in sorted(value.thrift_spec):
                spec = value.thrift_spec[fid]
                inner = getattr(value, spec[1])
                if inner is not None:
                    sx = spec[2] if len(spec) == 4 else None
                    parts.append(f'"{spec[1]}": {self.literal(inner, spec[0], sx)}')
            return "{" + ", ".join(parts) + "}"
        raise ValueError(f"cannot render default {value!r}")

    def struct(self, cls: type) -> str:
        kind = "union" if cls in self.unions else "struct"
        defaults = dict(cls.default_spec)
        lines = [f"{kind} {cls.__name__} {{"]
        for fid, spec in cls.thrift_spec.items():
            name = spec[1]
            required = "required " if spec[-1] is True else ""
            text = f"  {fid}: {required}{self.field_type(spec)} {name}"
            if defaults.get(name) is not None:
                extra = spec[2] if len(spec) == 4 else None
                text += f" = {self.literal(defaults[name], spec[0], extra)}"
            lines.append(text)
        lines.append("}")
        return "\n".join(lines)

    def enum(self, cls: type) -> str:
        body = [f"  {name} = {value}" for value, name in cls._VALUES_TO_NAMES.items()]
        return "enum " + cls.__name__ + " {\n" + ",\n".join(body) + "\n}"

    def const(self, name: str, value: Any) -> str:
        if isinstance(value, str):
            return f"const string {name} = {self.literal(value, TType.STRING, None)}"
        enum = next(e for e in self.enums if e.__name__ == self.const_types[name])
        rendered = "[" + ", ".join(f"{enum.__name__}.{enum._VALUES_TO_NAMES[v]}"
                                   for v in sorted(value)) + "]"
        return f"const set<{enum.__name__}> {name} = {rendered}"

    def service(self, svc: Any, parent: str | None) -> str:
        own = [m for m in svc.thrift_services
               if not any(m in s.thrift_services for s in self.parents(svc))]
        header = f"service {svc.__name__}" + (f" extends {parent}" if parent else "") + " {"
        lines = [header]
        for method in own:
            args = getattr(svc, f"{method}_args").thrift_spec
            result = getattr(svc, f"{method}_result").thrift_spec
            returns = self.field_type(result[0]) if 0 in result else "void"
            params = ", ".join(f"{fid}: {self.field_type(spec)} {spec[1]}"
                               for fid, spec in args.items())
            lines.append(f"  {returns} {method}({params})")
        lines.append("}")
        return "\n".join(lines)

    def parents(self, svc: Any) -> list[Any]:
        order = self.module.__thrift_meta__["services"]
        return order[:order.index(svc)]


def render(path: str) -> str:
    module = thriftpy2.load(path, module_name="reference_thrift")
    r = Renderer(module)
    import re

    with open(path, encoding="utf-8") as handle:
        declared = re.findall(r"^const\s+set<(\w+)>\s+(\w+)", handle.read(), re.MULTILINE)
    r.const_types = {name: element for element, name in declared}
    meta = module.__thrift_meta__
    structs = set(meta["structs"]) | set(meta["unions"])
    out = [
        "// The Apache Aurora scheduler API as this client speaks it.",
        "// Generated by tests/tools/gen_idl.py: field ids, names, wire types, defaults,",
        "// enum values and service signatures are the scheduler's wire contract.",
        "",
    ]
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, type) and value in r.enums:
            out.append(r.enum(value))
        elif isinstance(value, type) and value in structs:
            out.append(r.struct(value))
        elif isinstance(value, (str, set, frozenset)) and value in meta["consts"]:
            out.append(r.const(name, value))
        else:
            continue
        out.append("")
    previous = None
    for svc in meta["services"]:
        out.append(r.service(svc, previous))
        out.append("")
        previous = svc.__name__
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render(sys.argv[1]))
