"""The two things ilupa needs of ELF shared objects: what a C module imports, and a linker stub.

A Lua C module (`lpeg.so`) calls the Lua C API (`lua_pushnumber`, ...) but is
not linked against any Lua library: a standalone `lua` exports the API from
its own executable. In a Python process the API lives inside lupa's runtime
module (`lupa/lua54...so`), loaded privately, so the module's imports find
nothing. A *linker stub* is an ELF shared object with no code and no symbols
whose only content is a list of dependencies: the runtime module first, then
the C module. Loading the stub makes the dynamic linker resolve the C module's
imports against the runtime module that the stub names, and against no other
(docs/lua-libraries.md says why that is safe with several runtimes loaded).

Only what these two jobs need is read or written; nothing here executes code.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB = 1
ET_DYN = 3
PT_LOAD, PT_DYNAMIC, PT_GNU_STACK = 1, 2, 0x6474E551
PF_R, PF_W = 4, 2
DT_NULL, DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT = 0, 1, 4, 5, 6, 10, 11
SHT_DYNSYM = 11
SHN_UNDEF = 0


class NotAnElfObject(ValueError):
    """The file is not an ELF shared object this machine's kind can load."""


@dataclass(frozen=True)
class ElfKind:
    """What makes two ELF objects loadable into one process: class, byte order, machine."""

    elf_class: int
    byte_order: str  # "<" or ">"
    machine: int
    flags: int

    @property
    def is_64(self) -> bool:
        return self.elf_class == ELFCLASS64


def elf_kind(data: bytes) -> ElfKind:
    """The kind of the ELF object whose first bytes are `data`."""
    if len(data) < 52 or data[:4] != ELF_MAGIC or data[4] not in (ELFCLASS32, ELFCLASS64):
        raise NotAnElfObject("not an ELF object")
    order = "<" if data[5] == ELFDATA2LSB else ">"
    machine = struct.unpack_from(order + "H", data, 18)[0]
    flags = struct.unpack_from(order + "I", data, 48 if data[4] == ELFCLASS64 else 36)[0]
    return ElfKind(data[4], order, machine, flags)


def elf_kind_of(path: Path) -> ElfKind:
    """The kind of the ELF object at `path`, read from its header alone."""
    with path.open("rb") as file:
        return elf_kind(file.read(64))


def imported_symbols(path: Path) -> frozenset[str]:
    """Names the shared object at `path` needs from elsewhere (undefined dynamic symbols)."""
    data = path.read_bytes()
    kind = elf_kind(data)
    o = kind.byte_order
    if kind.is_64:
        shoff = _unpack(o + "Q", data, 40)
        shentsize, shnum = _unpack(o + "H", data, 58), _unpack(o + "H", data, 60)
        section = o + "IIQQQQIIQQ"
        symbol, symbol_size = o + "IBBHQQ", 24
    else:
        shoff = _unpack(o + "I", data, 32)
        shentsize, shnum = _unpack(o + "H", data, 46), _unpack(o + "H", data, 48)
        section = o + "IIIIIIIIII"
        symbol, symbol_size = o + "IIIBBH", 16
    sections = [
        struct.unpack_from(section, data, shoff + index * shentsize) for index in range(shnum)
    ]
    names: set[str] = set()
    for header in sections:
        if header[1] != SHT_DYNSYM:
            continue
        offset, size, link = header[4], header[5], header[6]
        strings_offset = sections[link][4]
        for start in range(offset + symbol_size, offset + size, symbol_size):
            fields = struct.unpack_from(symbol, data, start)
            name_offset = fields[0]
            section_index = fields[3] if kind.is_64 else fields[5]
            if section_index == SHN_UNDEF and name_offset:
                end = data.index(b"\0", strings_offset + name_offset)
                names.add(data[strings_offset + name_offset : end].decode("ascii", "replace"))
    return frozenset(names)


def _unpack(fmt: str, data: bytes, offset: int) -> int:
    return struct.unpack_from(fmt, data, offset)[0]


def write_linker_stub(path: Path, needed: list[str], like: Path) -> None:
    """Write at `path` a shared object of no code that depends on `needed`, in that order.

    `needed` are absolute paths (the dynamic linker takes a name with a slash
    as the file itself, and reuses an object already loaded from it). The stub
    is of the same kind as the object at `like` (the runtime module), so it
    loads wherever that does. It carries an empty symbol table and hash table
    (the linker looks symbols up in every object of a scope) and a
    non-executable stack marker (without it, loading asks for an executable
    stack).
    """
    kind = elf_kind_of(like)
    o = kind.byte_order
    word = "Q" if kind.is_64 else "I"
    sword = "q" if kind.is_64 else "i"
    header_size, phdr_size, symbol_size = (64, 56, 24) if kind.is_64 else (52, 32, 16)
    align = 8 if kind.is_64 else 4
    strings = b"\0"
    name_offsets = []
    for name in needed:
        name_offsets.append(len(strings))
        strings += name.encode() + b"\0"
    phdr_count = 3
    strings_at = header_size + phdr_count * phdr_size
    symbols_at = _aligned(strings_at + len(strings), align)
    hash_at = symbols_at + symbol_size
    dynamic_at = hash_at + 16
    entries = [(DT_NEEDED, offset) for offset in name_offsets] + [
        (DT_HASH, hash_at),
        (DT_STRTAB, strings_at),
        (DT_SYMTAB, symbols_at),
        (DT_STRSZ, len(strings)),
        (DT_SYMENT, symbol_size),
        (DT_NULL, 0),
    ]
    dynamic = b"".join(struct.pack(o + sword + word, tag, value) for tag, value in entries)
    size = dynamic_at + len(dynamic)
    ident = ELF_MAGIC + bytes([kind.elf_class, 1 if o == "<" else 2, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        o + "HHI" + word * 3 + "IHHHHHH",
        ET_DYN, kind.machine, 1, 0, header_size, 0, kind.flags,
        header_size, phdr_size, phdr_count, 0, 0, 0,
    )  # fmt: skip
    segments = [
        (PT_LOAD, PF_R, 0, 0, size, size, 0x1000),
        (PT_DYNAMIC, PF_R, dynamic_at, dynamic_at, len(dynamic), len(dynamic), align),
        (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
    ]
    program = b"".join(_program_header(o, kind.is_64, *segment) for segment in segments)
    body = header + program + strings
    body += bytes(symbols_at - len(body)) + bytes(symbol_size)  # the null symbol alone
    body += struct.pack(o + "IIII", 1, 1, 0, 0)  # one bucket, one chain, both empty
    path.write_bytes(body + dynamic)


def _program_header(
    o: str, is_64: bool, kind: int, flags: int, offset: int, address: int, file_size: int,
    memory_size: int, align: int,
) -> bytes:  # fmt: skip
    if is_64:
        return struct.pack(
            o + "IIQQQQQQ", kind, flags, offset, address, address, file_size, memory_size, align
        )
    return struct.pack(
        o + "IIIIIIII", kind, offset, address, address, file_size, memory_size, flags, align
    )


def _aligned(value: int, align: int) -> int:
    return (value + align - 1) // align * align
