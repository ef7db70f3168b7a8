"""Two numba intrinsics the kernels use for speed; neither changes a result.

:func:`borrow` hands the kernels their state arrays without reference counting,
and :func:`prefetch` / :func:`prefetch1` ask the CPU to fetch a routing-table
entry (and the start of that node's street list) before it is needed.  In the
pure-Python reference build they do nothing (``borrow`` is the identity, the
prefetches no-ops), so the two builds agree draw for draw.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic, overload
from numba.np.arrayobj import make_array

# ------------------------------------------------------------------ borrowed views
# Why this exists: every array in the state tuples is reference counted, and
# numba increments and decrements the count (an atomic instruction, ~20
# cycles each) of *every array in a tuple* whenever the tuple is bound to a
# parameter of an inlined helper.  ``move_officer(net, ns, P, oc, ...)`` alone
# binds 53 arrays, so each helper call cost ~100 atomic operations.  Numba's
# reference-count pruning removes such incref/decref pairs only when they are
# close together (same block or a simple diamond); across the loops and
# branches of these large inlined kernels it keeps them.  That, not the
# arithmetic, made a tick cost ~0.9 us per on-duty officer even when the
# officer did nothing (profiled: the time was in NRT_incref/NRT_decref).
#
# ``run_ticks`` therefore first swaps its tuples for *borrowed* views: the same
# arrays (same data, shape, strides) with no owner (NULL meminfo), for which
# incref/decref are no-ops.  This is safe because the caller keeps the original
# arrays alive for the whole call and the views never escape it (run_ticks
# returns two integers).  In the pure-Python reference ``borrow`` is the identity.

def _borrow_value(context, builder, ty, val):
    if isinstance(ty, types.Array):
        ary = make_array(ty)(context, builder, value=val)
        ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
        ary.parent = cgutils.get_null_value(ary.parent.type)
        return ary._getvalue()
    if isinstance(ty, types.BaseTuple):  # (named) tuples, nested ones included
        for i, item_ty in enumerate(ty.types):
            item = _borrow_value(context, builder, item_ty, builder.extract_value(val, i))
            val = builder.insert_value(val, item, i)
    return val  # scalars are passed through


@intrinsic
def _borrow(typingctx, tup):
    def codegen(context, builder, sig, args):
        return _borrow_value(context, builder, sig.args[0], args[0])
    return tup(tup), codegen


def borrow(tup):
    """``tup`` unchanged; compiled: the same arrays without reference counting (see above)."""
    return tup


@overload(borrow, jit_options={"cache": True})
def _borrow_overload(tup):
    return lambda tup: _borrow(tup)


# ------------------------------------------------------------------ prefetch
# Why: the next-hop lookup ``net.hop[row, node]`` reads one entry of a
# (routing trees x n_nodes) table of many MB, so nearly every lookup missed
# the caches; that one load was ~20% of the kernel time (perf, when entries were
# int32 edge indices; now one-byte slots, routing.Router).  When an agent
# starts an edge we know the node it will need the next hop of, usually a tick
# or so before it needs it, so we ask the CPU to fetch that entry now, and the
# start of that node's CSR row (``indptr[node]``: a slot becomes an edge index
# with it).  A prefetch changes no value (and never faults); in the reference it does
# nothing.

def _emit_prefetch(context, builder, sig, args):
    """Emit ``llvm.prefetch`` of ``args[0][args[1:]]``, any number of indices."""
    aryty = sig.args[0]
    ary = make_array(aryty)(context, builder, value=args[0])
    idx = [context.cast(builder, a, t, types.intp) for a, t in zip(args[1:], sig.args[1:])]
    ptr = cgutils.get_item_pointer(context, builder, aryty, ary, idx, wraparound=False)
    i32 = ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
    fn = builder.module.declare_intrinsic("llvm.prefetch", [cgutils.voidptr_t], fnty)
    # read, keep in all cache levels, data cache
    builder.call(fn, [builder.bitcast(ptr, cgutils.voidptr_t), i32(0), i32(3), i32(1)])
    return context.get_dummy_value()


@intrinsic
def _prefetch(typingctx, arr, i, j):
    return types.none(arr, i, j), _emit_prefetch


@intrinsic
def _prefetch1(typingctx, arr, i):
    return types.none(arr, i), _emit_prefetch


def prefetch(arr, i, j):
    """Hint that ``arr[i, j]`` will be read soon (compiled only; no effect on results)."""


def prefetch1(arr, i):
    """Hint that ``arr[i]`` will be read soon (compiled only; no effect on results)."""


@overload(prefetch1, jit_options={"cache": True})
def _prefetch1_overload(arr, i):
    return lambda arr, i: _prefetch1(arr, i)


@overload(prefetch, jit_options={"cache": True})
def _prefetch_overload(arr, i, j):
    return lambda arr, i, j: _prefetch(arr, i, j)
