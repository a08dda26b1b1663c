#!/usr/bin/env python3
"""Gives the wasm's JS imports short names, in the wasm and in wasm-bindgen's loader.

wasm-bindgen names each import after its JS function plus a 16-hex-digit hash
(`__wbg_new_with_u8_array_sequence_9cda61cd48ab1b97`); the page has ~300 of
them, written once in the wasm's import section and once as keys in the
loader's imports object, and gzip can do little with the hashes. Terser
cannot rename them (they are the contract between the two files), so this
does, in both at once: `usage: short-imports.py <x_bg.wasm> <x.js>`, in place.

Only the import section is rewritten; the rest of the wasm is copied byte
for byte. The build stops if a name is not found exactly once in the loader.
"""
import re
import sys


def leb(data, at):
    """An unsigned LEB128 at `at`: (value, where it ends)."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def to_leb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def name(data, at):
    length, at = leb(data, at)
    return data[at:at + length].decode(), at + length


def limits(data, at):
    flags, at = leb(data, at)
    _, at = leb(data, at)
    if flags & 1:
        _, at = leb(data, at)
    return at


def desc_end(data, at):
    """Where an import's description (after its two names) ends."""
    kind = data[at]
    at += 1
    if kind == 0:  # function: type index
        return leb(data, at)[1]
    if kind == 1:  # table: element type, limits
        return limits(data, at + 1)
    if kind == 2:  # memory: limits
        return limits(data, at)
    if kind == 3:  # global: value type, mutability
        return at + 2
    if kind == 4:  # tag: attribute, type index
        return leb(data, at + 1)[1]
    raise SystemExit(f"short-imports: unknown import kind {kind}")


def short(n):
    """0 → "$a", 25 → "$z", 26 → "$A", 52 → "$ba", …: the `$` keeps them apart from any wasm-bindgen name."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        out = letters[n % 52] + out
        n //= 52
        if not n:
            return "$" + out


def main(wasm_path, js_path):
    data = open(wasm_path, "rb").read()
    js = open(js_path).read()
    out = bytearray(data[:8])
    at = 8
    renamed = {}
    while at < len(data):
        section = data[at]
        size, body = leb(data, at + 1)
        end = body + size
        if section != 2:
            out += data[at:end]
            at = end
            continue
        count, p = leb(data, body)
        imports = bytearray(to_leb(count))
        for _ in range(count):
            module, p = name(data, p)
            field, p = name(data, p)
            start = p
            p = desc_end(data, p)
            if module.endswith("_bg.js"):
                field = renamed.setdefault(field, short(len(renamed)))
            for text in (module, field):
                raw = text.encode()
                imports += to_leb(len(raw)) + raw
            imports += data[start:p]
        out += bytes([2]) + to_leb(len(imports)) + imports
        at = end
    for old, new in renamed.items():
        key = re.compile(r"(?<![\w$])" + re.escape(old) + r"(?![\w$])")
        found = len(key.findall(js))
        if found != 1:
            raise SystemExit(f"short-imports: {old} is in {js_path} {found} times, not once")
        js = key.sub(new, js)
    open(wasm_path, "wb").write(out)
    open(js_path, "w").write(js)
    print(f"short-imports: {len(renamed)} import names shortened")


if __name__ == "__main__":
    main(*sys.argv[1:])
