"""How the kernel is compiled: numba's decorators as every kernel module uses them, and the intrinsics.

`compiled` functions are called; `inlined` ones are copied into their callers by numba. The intrinsics
are LLVM operations numba has no Python spelling for: a plain pointer to an array's data (`address`), an
unaligned 8-byte load and store (`load_word`, `store_word`), a cache-line prefetch (`prefetch`), a byte swap (`byte_swap`) and a
count of trailing zero bits (`trailing_zeros`).
`copy` and `copy_words` move bytes between arrays through such pointers.

Importing this module sets numba's cache folder first (digests/engine/kernel/cache.py), so that every kernel
function, decorated after it, is cached where an edit to any kernel module cannot leave stale code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# numba's cache folder is set before any function is decorated (see cache.py)
from digests.engine.kernel.cache import CACHING

F = TypeVar("F", bound=Callable[..., object])


def compiled(function: F) -> F:
    return cast(F, njit(nogil=True, cache=CACHING, boundscheck=False)(function))


def inlined(function: F) -> F:
    """For helpers called once a line or token: a call costs more than their work (arrays are passed as
    structs, with reference counting), so numba copies them into their callers."""
    return cast(F, njit(nogil=True, cache=CACHING, boundscheck=False, inline="always")(function))


def _data(context, builder, kind, value):  # type: ignore[no-untyped-def]  # numba's codegen protocol
    """The address of an array's first element, or the pointer itself."""
    if isinstance(kind, types.CPointer):
        return value
    return context.make_array(kind)(context, builder, value).data


@intrinsic
def _address_intrinsic(typingctx, array):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """A plain pointer to an array's data, for the hot loop: passing arrays to the helpers it inlines costs
    reference counting (atomic, out of line) that numba does not always prune; pointers have none. The array
    must outlive the pointer, so only arguments qualify: numba frees a local array after its last use."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return _data(context, builder, signature.args[0], args[0])

    return types.CPointer(array.dtype)(array), codegen


# The intrinsics as the hot loop calls them (numba passes the typing context itself).
address = cast(Callable[[np.ndarray], Any], _address_intrinsic)


@intrinsic
def _load_word_intrinsic(typingctx, array, index):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """The eight bytes at array[index:] as one little-endian uint64, in one unaligned load."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        address = cgutils.gep(builder, _data(context, builder, signature.args[0], args[0]), args[1])
        pointer = builder.bitcast(address, ir.IntType(64).as_pointer())
        return builder.load(pointer, align=1)

    return types.uint64(array, index), codegen


load_word = cast(Callable[[Any, int], np.uint64], _load_word_intrinsic)


@intrinsic
def _store_word_intrinsic(typingctx, array, index, word):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """Writes a uint64 as the eight bytes at array[index:], in one unaligned store."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        address = cgutils.gep(builder, _data(context, builder, signature.args[0], args[0]), args[1])
        pointer = builder.bitcast(address, ir.IntType(64).as_pointer())
        builder.store(args[2], pointer, align=1)
        return context.get_dummy_value()

    return types.void(array, index, types.uint64), codegen


store_word = cast(Callable[[Any, int, np.uint64], None], _store_word_intrinsic)


@inlined
def copy(arena: np.ndarray, at: int, buf: np.ndarray, s: int, e: int) -> int:
    """buf[s:e] into arena[at:]: through pointers, as slices cost two array views a copy."""
    target, source = address(arena), address(buf)
    for p in range(s, e):
        target[at] = source[p]
        at += 1
    return at


@inlined
def copy_words(target: Any, at: int, target_size: int, source: Any, s: int, e: int, source_size: int) -> int:
    """source[s:e] into target[at:] (pointers to `source_size` and `target_size` bytes; not overlapping),
    eight bytes a step: a short copy a byte at a time costs a loop step a byte. The last step reads and
    writes a whole word past the end when both buffers have room for it: the bytes written past the end
    are garbage the caller writes over (or never reads), and none past either buffer is touched."""
    n = e - s
    i = 0
    while i + 8 <= n:
        store_word(target, at + i, load_word(source, s + i))
        i += 8
    if i < n:
        if s + i + 8 <= source_size and at + i + 8 <= target_size:
            store_word(target, at + i, load_word(source, s + i))
        else:
            for p in range(i, n):
                target[at + p] = source[s + p]
    return at + n


@intrinsic
def _prefetch_intrinsic(typingctx, array, index):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """Asks for array[index]'s cache line, for writing, without waiting for it."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        address = cgutils.gep(builder, _data(context, builder, signature.args[0], args[0]), args[1])
        address = builder.bitcast(address, ir.IntType(8).as_pointer())  # one declaration for every array type
        i32 = ir.IntType(32)
        kind = ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32])
        function = cgutils.get_or_insert_function(builder.module, kind, "llvm.prefetch.p0")
        builder.call(function, [address, ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


prefetch = cast(Callable[[np.ndarray, int], None], _prefetch_intrinsic)


@intrinsic
def _byte_swap_intrinsic(typingctx, word):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """The uint64 with its bytes in the other order: a little-endian load read big-endian, so the integer
    order of words is the byte order of the text they hold."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i64 = ir.IntType(64)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64]), "llvm.bswap.i64"
        )
        return builder.call(function, [args[0]])

    return types.uint64(types.uint64), codegen


byte_swap = cast(Callable[[np.uint64], np.uint64], _byte_swap_intrinsic)


@intrinsic
def _trailing_zeros_intrinsic(typingctx, word):  # type: ignore[no-untyped-def]  # numba's intrinsic protocol
    """The number of zero bits below the lowest set bit of a nonzero uint64 (one instruction, tzcnt), as an
    int64: numba would make the sum of an int64 and a uint64 a float."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i64, i1 = ir.IntType(64), ir.IntType(1)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64, i1]), "llvm.cttz.i64"
        )
        return builder.call(function, [args[0], ir.Constant(i1, 0)])

    return types.int64(types.uint64), codegen


trailing_zeros = cast(Callable[[np.uint64], int], _trailing_zeros_intrinsic)
